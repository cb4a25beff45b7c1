import EventSourcing
import Foundation
import HTTPCommon
import LibPQ
import PostgresEventStore
import ShopDomain

/// How command outcomes become HTTP answers (API.md "Common rules" table).
enum CommandAnswer {
    struct Body: Encodable {
        var customerID: String?
        var orderID: String?
        var version: Int
        var consistencyToken: String

        enum CodingKeys: String, CodingKey {
            case customerID = "customer_id", orderID = "order_id", version
            case consistencyToken = "consistency_token"
        }
    }

    static func success(_ reply: CommandReply) throws -> StoredResponse {
        let id = reply.id.uuidString.lowercased()
        let token = ConsistencyToken(reply.position).description
        let body = Body(customerID: reply.aggregate == .customer ? id : nil,
                        orderID: reply.aggregate == .order ? id : nil,
                        version: reply.version, consistencyToken: token)
        var headers = [
            "Content-Type": "application/json",
            "Consistency-Token": token,
            "ETag": "\"\(reply.version)\"",
        ]
        if reply.created {
            headers["Location"] = reply.aggregate == .customer ? "/customers/\(id)" : "/orders/\(id)"
        }
        return StoredResponse(status: reply.created ? 201 : 200, headers: headers,
                              body: Array(try ShopJSON.encoder.encode(body)))
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
        case let rejection as Customer.Rejection:
            switch rejection {
            case .notFound: return .notFound(rejection.description)
            case .alreadyRegistered: return .conflict(rejection.description)
            }
        case let rejection as Order.Rejection:
            switch rejection {
            case .notFound, .lineNotFound: return .notFound(rejection.description)
            default: return .conflict(rejection.description)
            }
        case CommandRunError.preconditionFailed(let expected, let actual):
            if actual == 0 && !creates { return .notFound("no such resource") }
            return ProblemDetails(
                .preconditionFailed, type: ProblemDetails.typeBase + "precondition-failed",
                detail: creates ? "If-Match cannot match a resource that does not exist yet."
                    : "If-Match names version \(expected), but the current version is \(actual).")
        case CommandRunError.conflictRetriesExhausted(let attempts):
            return .conflict("The resource kept changing concurrently; gave up after \(attempts) attempts. Try again.")
        case CommandRunError.claimTaken(let claim) where claim.scope == Customer.emailClaimScope:
            return .conflict("A customer with this email already exists.")
        case CommandRunError.claimTaken:
            return .conflict("A unique value of this request is already taken.")
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
