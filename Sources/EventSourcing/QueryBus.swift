import Synchronization

/// A question to the read side whose answer type is part of its type, so
/// `bus.ask(GetInvoice(id: …), context: …)` returns an `InvoiceView?` and not an
/// `Any` to cast.
public protocol Query: Sendable {
    associatedtype Answer: Sendable
}

/// Dispatches typed queries to the handler registered for their type; the
/// read-side twin of `CommandBus`. The bus knows nothing of HTTP or storage:
/// handlers close over what they need and get the rest in `Context`.
public final class QueryBus<Context: Sendable>: Sendable {
    public typealias Handler<Q: Query> = @Sendable (Q, Context) async throws -> Q.Answer

    private let handlers = Mutex<[ObjectIdentifier: @Sendable (Any, Context) async throws -> any Sendable]>([:])

    public init() {}

    /// Registers the handler for queries of type `Q`; a second registration
    /// for the same type replaces the first.
    public func register<Q: Query>(_ type: Q.Type, handler: @escaping Handler<Q>) {
        handlers.withLock {
            $0[ObjectIdentifier(type)] = { query, context in
                try await handler(query as! Q, context)
            }
        }
    }

    /// Whether a handler for `Q` is registered.
    public func handles<Q: Query>(_ type: Q.Type) -> Bool {
        handlers.withLock { $0[ObjectIdentifier(type)] != nil }
    }

    /// Runs the handler of `Q`; throws `BusError.noHandler` when none is registered.
    public func ask<Q: Query>(_ query: Q, context: Context) async throws -> Q.Answer {
        guard let handler = handlers.withLock({ $0[ObjectIdentifier(Q.self)] }) else {
            throw BusError.noHandler(for: String(reflecting: Q.self))
        }
        // The handler stored under Q's identifier was built from a `Handler<Q>`.
        return try await handler(query, context) as! Q.Answer
    }
}
