import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
import UUIDKit

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-Id")!
}

/// Gives every request an id: the caller's `X-Request-Id` when it is sane
/// (1–200 visible ASCII characters), else a new UUID. It goes into every log
/// line of the request, back out as a response header, and into events'
/// `correlation_id`.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    public init() {}

    public func handle(_ request: Request, context: AppRequestContext,
                       next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        let given = request.headers[.requestID].flatMap { Self.isAcceptable($0) ? $0 : nil }
        context.requestID = given ?? UUID.random().lowercasedString
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try ProblemMiddleware<AppRequestContext>.problem(for: error, logger: context.logger)
                .response(from: request, context: context)
        }
        response.headers[.requestID] = context.requestID
        // Probes and scrapes arrive every few seconds and say nothing new.
        let path = request.uri.path
        let level: Logger.Level = path.hasPrefix("/health/") || path == "/metrics" ? .debug : .info
        context.logger.log(level: level, "request", metadata: [
            "method": "\(request.method)", "path": "\(path)",
            "status": "\(response.status.code)", "duration": "\(ContinuousClock.now - started)",
        ])
        return response
    }

    static func isAcceptable(_ value: String) -> Bool {
        (1...200).contains(value.utf8.count) && value.utf8.allSatisfy { (0x21...0x7e).contains($0) }
    }
}
