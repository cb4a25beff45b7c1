import Foundation
public import Hummingbird
public import LibPQ
public import Logging
public import PostgresEventStore
public import Prometheus
public import ServiceLifecycle

/// What every HTTP process builds the same way: logging, the pool, the
/// readiness check, the router with our middleware, and the service group
/// that runs them and drains on SIGTERM/SIGINT.
public struct ServiceHost: Sendable {
    public let settings: ServiceSettings
    public let name: String
    public let logger: Logger
    public let pool: ConnectionPool
    public let migrator: SchemaMigrator
    public let registry: PrometheusCollectorRegistry
    /// Timeouts and the cap on open connections (README "Connections and limits").
    public let connectionLimits: HTTPConnectionLimits
    /// The HTTP connections this process holds open.
    public let connections: OpenConnections
    private let connectionMetrics: ConnectionMetrics

    /// - Parameters:
    ///   - sessionSettings: server settings for every pooled session.
    ///   - connectionsHaveOwnLanes: see `ConnectionPool.Configuration`.
    public init(name: String, settings: ServiceSettings, registry: PrometheusCollectorRegistry,
                defaultPoolSize: Int = 16, sessionSettings: [String: String] = [:],
                connectionsHaveOwnLanes: Bool = false) throws {
        self.name = name
        self.settings = settings
        self.registry = registry
        var logger = Logger(label: name)
        logger.logLevel = settings.resolvedLogLevel
        self.logger = logger
        let poolSize = settings.resolvedPoolSize ?? defaultPoolSize
        pool = ConnectionPool(ConnectionPool.Configuration(
            conninfo: try ConnectionString.withSessionSettings(settings.resolvedDatabaseURL, sessionSettings),
            maxConnections: poolSize, acquireTimeout: try settings.resolvedPoolTimeout(),
            connectionsHaveOwnLanes: connectionsHaveOwnLanes),
            logger: logger)
        // The pool, plus the few dedicated sessions (LISTEN, notifier, leases).
        connectionLimits = try settings.resolvedConnectionLimits(
            descriptorLimit: DescriptorLimit.current, openDescriptors: DescriptorLimit.openCount,
            databaseConnections: poolSize + 8)
        connectionMetrics = ConnectionMetrics(registry: registry)
        connections = OpenConnections(connectionLimits, metrics: connectionMetrics)
        migrator = SchemaMigrator(migrations: try Migration.load(
            from: ProjectFiles.locate("migrations", explicit: settings.resolvedMigrationsDirectory)))
    }

    /// Bootstraps process-wide logging and metrics. Executables call it once;
    /// tests never do (they read their own registry).
    public static func bootstrapProcess(settings: ServiceSettings) -> PrometheusCollectorRegistry {
        LogSetup.bootstrap(format: settings.resolvedLogFormat, level: settings.resolvedLogLevel)
        // Each connection is a descriptor; the soft limit is often 1024.
        DescriptorLimit.raiseToHard()
        return PrometheusCollectorRegistry()
    }

    public var readiness: DatabaseReadiness { DatabaseReadiness(pool: pool, migrator: migrator) }

    /// A router with the error, request-id and metrics middleware in the
    /// order they must run, and the operations routes.
    public func makeRouter(servesOpenAPI: Bool = false,
                           readiness extra: (@Sendable () async -> ReadinessReport)? = nil) throws -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        // Middleware covers only routes added after it: add it first.
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestMetricsMiddleware(registry: registry))
        let database = readiness
        OperationsRoutes(registry: registry) {
            let report = await database.check()
            guard let extra else { return report }
            return report.merged(with: await extra())
        }.add(to: router)
        if servesOpenAPI {
            // openapi.yaml is written in YAML's JSON form, so it is served as it is.
            let document = try Data(contentsOf: ProjectFiles.locate(
                "openapi.yaml", explicit: ProcessInfo.processInfo.environment["CHRONICLE_OPENAPI"]))
            router.get("/openapi.json") { _, _ in
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document)))
            }
        }
        return router
    }

    public func makeApplication(router: Router<AppRequestContext>, defaultPort: Int,
                                onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol & Service {
        let logger = logger
        let limits = connectionLimits
        return Application(
            router: router,
            server: .chronicle(limits: limits, connections: connections, metrics: connectionMetrics),
            configuration: ApplicationConfiguration(
                address: .hostname(settings.resolvedHost, port: settings.resolvedPort(default: defaultPort)),
                serverName: name),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: [
                    "port": "\(port)", "max_connections": "\(limits.maxConnections)",
                    "open_files_limit": "\(DescriptorLimit.current)", "idle_timeout": "\(limits.idleTimeout)",
                    "header_timeout": "\(limits.headerTimeout)", "read_timeout": "\(limits.readTimeout)",
                ])
                await onServerRunning(port)
            },
            logger: logger)
    }

    /// Runs `services` (lower indexes start first and stop last) until
    /// SIGTERM or SIGINT, then shuts them down gracefully in reverse order.
    public func run(_ services: [any Service]) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
