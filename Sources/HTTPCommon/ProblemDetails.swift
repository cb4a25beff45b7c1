import Foundation
public import Hummingbird
import Wire

/// An RFC 9457 problem, rendered as `application/problem+json`. Every error
/// response of our services is one of these.
public struct ProblemDetails: Error, HTTPResponseError, Encodable, Sendable {
    public struct FieldProblem: Encodable, Sendable, Equatable {
        public var field: String
        public var message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var type: String
    public var title: String
    public var statusCode: Int
    public var detail: String?
    public var errors: [FieldProblem]?
    /// Extra response headers (`Retry-After`, `Allow`); not part of the body.
    public var extraHeaders: HTTPFields

    public init(_ status: HTTPResponse.Status, type: String? = nil, title: String? = nil, detail: String? = nil,
                errors: [FieldProblem]? = nil, headers: HTTPFields = [:]) {
        self.type = type ?? "about:blank"
        self.title = title ?? status.reasonPhrase
        self.statusCode = status.code
        self.detail = detail
        self.errors = errors
        self.extraHeaders = headers
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, errors
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(statusCode, forKey: .status)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(errors, forKey: .errors)
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }
    public var headers: HTTPFields { extraHeaders }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: responseHeaders, body: .init(byteBuffer: try body()))
    }

    /// `extraHeaders` with the problem+json content type.
    public var responseHeaders: HTTPFields {
        var headers = extraHeaders
        headers[.contentType] = "application/problem+json"
        return headers
    }

    /// The problem as JSON.
    public func body() throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONBytesEncoder.encode(self))
    }
}

extension ProblemDetails {
    public static let typeBase = "https://chronicle.dev/problems/"

    public static func badRequest(_ detail: String) -> ProblemDetails {
        ProblemDetails(.badRequest, type: typeBase + "bad-request", detail: detail)
    }

    public static func notFound(_ detail: String = "no such resource") -> ProblemDetails {
        ProblemDetails(.notFound, type: typeBase + "not-found", detail: detail)
    }

    public static func validation(_ errors: [FieldProblem], detail: String = "the request has invalid fields")
        -> ProblemDetails {
        ProblemDetails(.unprocessableContent, type: typeBase + "validation", detail: detail, errors: errors)
    }

    public static func conflict(_ detail: String) -> ProblemDetails {
        ProblemDetails(.conflict, type: typeBase + "conflict", detail: detail)
    }

    public static let bodyTooLarge = ProblemDetails(
        .contentTooLarge, type: typeBase + "body-too-large",
        detail: "the request body is larger than \(AppRequestContext.bodyLimit) bytes")

    public static func unavailable(_ detail: String = "the database is unreachable; try again shortly")
        -> ProblemDetails {
        var headers = HTTPFields()
        headers[.retryAfter] = "1"
        return ProblemDetails(.serviceUnavailable, type: typeBase + "unavailable", detail: detail, headers: headers)
    }

    public static let uriTooLong = ProblemDetails(
        .uriTooLong, type: typeBase + "uri-too-long",
        detail: "the request target is longer than \(HTTPConnectionLimits.maxRequestTargetBytes) bytes")

    public static let headerFieldsTooLarge = ProblemDetails(
        .requestHeaderFieldsTooLarge, type: typeBase + "header-fields-too-large",
        detail: "the header section is larger than \(HTTPConnectionLimits.maxHeaderSectionBytes) bytes")

    public static func requestTimeout(_ detail: String) -> ProblemDetails {
        ProblemDetails(.requestTimeout, type: typeBase + "request-timeout", detail: detail)
    }

    /// Every connection the process serves is busy.
    public static let overloaded: ProblemDetails = {
        var headers = HTTPFields()
        headers[.retryAfter] = "1"
        return ProblemDetails(.serviceUnavailable, type: typeBase + "unavailable",
                              detail: "the server is at its connection limit; try again shortly", headers: headers)
    }()

    public static let internalError = ProblemDetails(
        .internalServerError, type: typeBase + "internal",
        detail: "an unexpected error occurred; it has been logged")
}
