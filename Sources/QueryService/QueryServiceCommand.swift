public import ArgumentParser
import EventFeed
import Foundation
public import HTTPCommon
public import Hummingbird
public import LibPQ
import ServiceLifecycle

/// `query-service`: serves the projected read tables (API.md "Query service").
public struct QueryServiceCommand: ContextServingCommand {
    public static let configuration = CommandConfiguration(
        commandName: "query-service",
        abstract: "Chronicle's read side: serves the projected views.",
        discussion: "Serves the query API on PORT (default 8081). With READ_DATABASE_URL, queries read from that "
            + "server (a replica) while DATABASE_URL still carries the projector's notifications. "
            + "GET /events serves the event feed, live as Server-Sent Events with Accept: text/event-stream. "
            + "SIGTERM drains in-flight requests and exits 0.")

    public static let defaultPort = 8081

    /// How often an open event stream looks at the log without a
    /// notification: the fallback for one lost (the notifier's connection
    /// down) or for a commit no notification follows.
    public static let feedPollInterval: Duration = .seconds(1)

    @OptionGroup public var settings: ServiceSettings

    @OptionGroup public var feed: FeedSettings

    @Option(name: .customLong("read-database-url"),
            help: "Server to read views and checkpoints from, e.g. a streaming replica (env READ_DATABASE_URL; default: DATABASE_URL)")
    public var readDatabaseURL: String?

    public init() {}

    /// The read server's connection string, nil when queries read from DATABASE_URL.
    public var resolvedReadDatabaseURL: String? {
        readDatabaseURL ?? ProcessInfo.processInfo.environment["READ_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public func run(contexts: [any QueryModule.Type]) async throws {
        let registry = ServiceHost.bootstrapProcess(settings: settings)
        let host = try ServiceHost(name: "query-service", settings: settings, registry: registry)
        let parts = try build(host, contexts: contexts)
        let app = host.makeApplication(router: parts.router, defaultPort: Self.defaultPort)
        var services: [any Service] = [host.pool]
        if let replica = parts.replicaPool { services.append(replica) }
        try await host.run(services + [parts.watcher, app])
    }

    /// What the query service runs besides the host's pool.
    public struct Parts {
        public let router: Router<AppRequestContext>
        /// Serves `Consistency-Token` waits; a `Service` to run before the app.
        public let watcher: CheckpointWatcher
        /// The read server's pool, when it is not the host's.
        public let replicaPool: ConnectionPool?
    }

    /// The query service's routes over `host`'s pool, or over a pool of
    /// `READ_DATABASE_URL` when set (then `/health/ready` checks both).
    public func build(_ host: ServiceHost, contexts: [any QueryModule.Type]) throws -> Parts {
        var replicaPool: ConnectionPool?
        var extraReadiness: (@Sendable () async -> ReadinessReport)?
        if let readURL = resolvedReadDatabaseURL {
            let pool = ConnectionPool(ConnectionPool.Configuration(
                conninfo: readURL, maxConnections: settings.resolvedPoolSize ?? 16,
                acquireTimeout: try settings.resolvedPoolTimeout()), logger: host.logger)
            let readiness = DatabaseReadiness(pool: pool, migrator: host.migrator)
            extraReadiness = {
                let report = await readiness.check()
                return ReadinessReport(ready: report.ready,
                                       checks: Dictionary(uniqueKeysWithValues: report.checks.map { ("read \($0.key)", $0.value) }))
            }
            replicaPool = pool
        }
        let readPool = replicaPool ?? host.pool
        let watcher = CheckpointWatcher(
            listeningOn: settings.resolvedDatabaseURL, checkpointsFrom: readPool,
            recheckInterval: replicaPool == nil ? CheckpointWatcher.primaryRecheckInterval
                : CheckpointWatcher.replicaRecheckInterval,
            replayEchoes: replicaPool == nil ? [] : CheckpointWatcher.replicaReplayEchoes,
            logger: host.logger)
        let router = try host.makeRouter(servesOpenAPI: true, readiness: extraReadiness)
        QueryController(pool: readPool, watcher: watcher).add(contexts, to: router)
        let limits = try feed.resolved()
        FeedController(pool: readPool, vocabulary: FeedVocabulary(contexts), limits: limits,
                       streams: FeedStreams(limit: limits.maxStreams, registry: host.registry),
                       commits: watcher.commits, pollInterval: Self.feedPollInterval, logger: host.logger)
            .add(to: router)
        return Parts(router: router, watcher: watcher, replicaPool: replicaPool)
    }
}
