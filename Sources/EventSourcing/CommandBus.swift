import Synchronization

/// Dispatches typed commands to the handler registered for their type. The
/// bus knows nothing of HTTP or storage: handlers close over what they need.
public final class CommandBus<Context: Sendable, Output: Sendable>: Sendable {
    public typealias Handler<C> = @Sendable (C, Context) async throws -> Output

    private let handlers = Mutex<[ObjectIdentifier: @Sendable (Any, Context) async throws -> Output]>([:])

    public init() {}

    /// Registers the handler for commands of type `C`; a second registration
    /// for the same type replaces the first.
    public func register<C: Sendable>(_ type: C.Type, handler: @escaping Handler<C>) {
        handlers.withLock {
            $0[ObjectIdentifier(type)] = { command, context in
                try await handler(command as! C, context)
            }
        }
    }

    public func dispatch<C: Sendable>(_ command: C, context: Context) async throws -> Output {
        guard let handler = handlers.withLock({ $0[ObjectIdentifier(C.self)] }) else {
            throw BusError.noHandler(for: String(reflecting: C.self))
        }
        return try await handler(command, context)
    }
}

public enum BusError: Error, Equatable, Sendable, CustomStringConvertible {
    case noHandler(for: String)

    public var description: String {
        switch self {
        case .noHandler(let type): "no handler is registered for \(type)"
        }
    }
}
