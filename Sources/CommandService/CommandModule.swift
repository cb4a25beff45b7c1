import EventSourcing
public import Foundation
public import HTTPCommon
public import Hummingbird
import Wire

/// A bounded context's command side: its routes, each turning a request into
/// one typed command, and the handler of each command type. The command
/// service serves the contexts its executable lists.
public protocol CommandModule {
    static func registerCommands(on routes: CommandRoutes)
}

/// What a context registers its commands with. Each route parses its input
/// into a command (throwing a `RequestProblem`, a `ProblemDetails` or a
/// `DomainRejection` to refuse it); `handle` decides and appends.
/// Headers (`If-Match`, `Idempotency-Key`), the body limit, idempotency and
/// the answer's shape are the service's, the same for every context.
public struct CommandRoutes {
    let router: Router<AppRequestContext>
    let controller: CommandController

    public typealias Handler<C> = @Sendable (C, CommandContext) async throws -> CommandReply

    /// `creates`: the command makes a new resource (201 with `Location`;
    /// `If-Match` can never hold).
    public func post<C: Sendable>(_ path: RouterPath, creates: Bool = false,
                                  command: @escaping @Sendable (CommandInput) throws -> C, handle: @escaping Handler<C>) {
        add(.post, path, creates: creates, command: command, handle: handle)
    }

    public func put<C: Sendable>(_ path: RouterPath, command: @escaping @Sendable (CommandInput) throws -> C,
                                 handle: @escaping Handler<C>) {
        add(.put, path, creates: false, command: command, handle: handle)
    }

    public func delete<C: Sendable>(_ path: RouterPath, command: @escaping @Sendable (CommandInput) throws -> C,
                                    handle: @escaping Handler<C>) {
        add(.delete, path, creates: false, command: command, handle: handle)
    }

    private func add<C: Sendable>(_ method: HTTPRequest.Method, _ path: RouterPath, creates: Bool,
                                  command: @escaping @Sendable (CommandInput) throws -> C, handle: @escaping Handler<C>) {
        controller.register(C.self, handler: handle)
        let controller = controller
        router.on(path, method: method) { request, context in
            try await controller.handle(request, context, creates: creates, command: command)
        }
    }
}

/// A command request as a route sees it: the body's bytes (within the body
/// limit) and the path's parameters.
public struct CommandInput: Sendable {
    public let body: [UInt8]
    public let path: PathParameters
}
