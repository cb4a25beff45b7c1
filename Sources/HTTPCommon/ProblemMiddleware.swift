public import Hummingbird
import LibPQ
public import Logging
import NIOCore
import NIOHTTP1

/// The outermost middleware: whatever a route or Hummingbird throws becomes
/// problem+json. Database outages become 503 with `Retry-After`; an error we
/// did not foresee becomes a 500 that says nothing about internals (and is
/// logged in full), which a test treats as a bug.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Self.problem(for: error, logger: context.logger).response(from: request, context: context)
        }
    }

    /// The problem for `error`; unexpected errors are logged to `logger` (pass
    /// nil where another layer already logs them).
    public static func problem(for error: any Error, logger: Logger?) -> ProblemDetails {
        switch error {
        case let problem as ProblemDetails:
            return problem
        case is NIOTooManyBytesError:
            return .bodyTooLarge
        case is RequestReadTimeout:
            return .requestTimeout("the request body did not arrive within the read timeout")
        case let error as HTTPParserError:
            // The body turned out malformed (a bad chunk) while a route read it.
            return ConnectionGuard.problem(for: error) ?? .badRequest("the request is not valid HTTP/1.1")
        case let error as PostgresError where error.isConnectionFailure:
            logger?.warning("database unavailable", metadata: ["error": "\(error)"])
            return .unavailable()
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound("no route matches this method and path")
            case .contentTooLarge: return .bodyTooLarge
            case .badRequest: return .badRequest(error.body ?? "the request is malformed")
            case .serviceUnavailable: return .unavailable()
            case let status where status.code < 500:
                return ProblemDetails(status, detail: error.body)
            default:
                logger?.error("unexpected HTTP error", metadata: ["error": "\(error)"])
                return .internalError
            }
        case let error as any HTTPResponseError where error.status.code < 500:
            return ProblemDetails(error.status)
        default:
            logger?.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return .internalError
        }
    }
}
