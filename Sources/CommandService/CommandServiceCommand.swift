public import ArgumentParser
public import HTTPCommon
public import Hummingbird
public import PostgresEventStore
import ServiceLifecycle

/// `command-service`: validates commands against aggregates and appends
/// events (API.md "Command service").
public struct CommandServiceCommand: ContextServingCommand {
    public static let configuration = CommandConfiguration(
        commandName: "command-service",
        abstract: "Chronicle's write side: validates commands and appends events.",
        discussion: "Serves the command API on PORT (default 8080). SIGTERM drains in-flight requests and exits 0.")

    public static let defaultPort = 8080

    @OptionGroup public var settings: ServiceSettings

    public init() {}

    public func run(contexts: [any CommandModule.Type]) async throws {
        let registry = ServiceHost.bootstrapProcess(settings: settings)
        let host = try ServiceHost(name: "command-service", settings: settings, registry: registry)
        let notifier = CommitNotifier(conninfo: settings.resolvedDatabaseURL, logger: host.logger)
        let app = host.makeApplication(router: try buildRouter(host, contexts: contexts, notifier: notifier), defaultPort: Self.defaultPort)
        try await host.run([host.pool, notifier, IdempotencyHousekeeping(store: IdempotencyStore(pool: host.pool),
                                                                          logger: host.logger), app])
    }

    /// The command service's routes (operations, then each context's) over `host`'s pool.
    public func buildRouter(_ host: ServiceHost, contexts: [any CommandModule.Type],
                            notifier: CommitNotifier? = nil) throws -> Router<AppRequestContext> {
        let router = try host.makeRouter(servesOpenAPI: true)
        let signal: @Sendable () -> Void = { notifier?.signal() }
        CommandController(store: PostgresEventStore(pool: host.pool, onCommit: signal),
                          idempotency: IdempotencyStore(pool: host.pool, onCommit: signal)).add(contexts, to: router)
        return router
    }
}
