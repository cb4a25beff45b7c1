public import Foundation

/// A request path's parameters as a context's route sees them (`:id` in
/// `/invoices/:id`), without the request context behind them.
public struct PathParameters: Sendable {
    let context: AppRequestContext

    public init(_ context: AppRequestContext) {
        self.context = context
    }

    /// The parameter `name`, as sent.
    public func parameter(_ name: String) -> String? { context.parameters.get(name) }

    /// The parameter `name` as a UUID, or nil when it is not one.
    public func uuid(_ name: String) -> UUID? { context.parameters.get(name, as: UUID.self) }
}
