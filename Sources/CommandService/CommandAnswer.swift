import EventSourcing
import Foundation
import HTTPCommon
import LibPQ
import PostgresEventStore
import Wire

/// How command outcomes become HTTP answers (API.md "Common rules" table).
enum CommandAnswer {
    /// `{"<id field>": id, "version", "consistency_token"}`.
    struct Body: Encodable {
        var resource: CommandReply.Resource
        var version: Int
        var consistencyToken: String

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(resource.id, forKey: Key(resource.idField))
            try container.encode(version, forKey: Key("version"))
            try container.encode(consistencyToken, forKey: Key("consistency_token"))
        }
    }

    static func success(_ reply: CommandReply) throws -> StoredResponse {
        let token = ConsistencyToken(reply.position).description
        let body = Body(resource: reply.resource, version: reply.version, consistencyToken: token)
        var headers = [
            "Content-Type": "application/json",
            "Consistency-Token": token,
            "ETag": "\"\(reply.version)\"",
        ]
        if reply.created {
            headers["Location"] = reply.resource.location
        }
        return StoredResponse(status: reply.created ? 201 : 200, headers: headers,
                              body: try JSONBytesEncoder.encode(body))
    }

    /// The problem for an error a client caused, or nil for one it did not
    /// (the database is down): those are not answers to keep.
    static func problem(for error: any Error, creates: Bool) -> ProblemDetails? {
        switch error {
        case let problem as ProblemDetails:
            return problem
        case let problem as RequestProblem:
            return requestProblem(problem)
        case let rejected as CommandInputRejected:
            return requestProblem(rejected.problem)
        case let rejection as any DomainRejection:
            switch rejection.kind {
            case .notFound: return .notFound(rejection.description)
            case .conflict: return .conflict(rejection.description)
            }
        case CommandRunError.preconditionFailed(let expected, let actual):
            if actual == 0 && !creates { return .notFound("no such resource") }
            return ProblemDetails(
                .preconditionFailed, type: ProblemDetails.typeBase + "precondition-failed",
                detail: creates ? "If-Match cannot match a resource that does not exist yet."
                    : "If-Match names version \(expected), but the current version is \(actual).")
        case CommandRunError.conflictRetriesExhausted(let attempts):
            return .conflict("The resource kept changing concurrently; gave up after \(attempts) attempts. Try again.")
        case CommandRunError.claimTaken:
            return .conflict("A unique value of this request is already taken.")
        case CommandRunError.requiredStreamMissing:
            return .validation([], detail: "A resource this request refers to does not exist.")
        default:
            return nil
        }
    }

    private static func requestProblem(_ problem: RequestProblem) -> ProblemDetails {
        switch problem {
        case .malformedJSON, .notAnObject:
            return .badRequest(problem.description)
        case .invalid(let errors):
            return .validation(errors.map { .init(field: $0.field, message: $0.message) }, detail: problem.description)
        }
    }
}
