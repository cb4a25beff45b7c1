import ArgumentParser
import HTTPCommon
import Hummingbird
import ReadModel

/// `projector`: tails the event table into the read tables; serves only
/// operations endpoints.
public struct ProjectorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "projector",
        abstract: "Chronicle's projector: tails events into the read tables.",
        discussion: "Runs every projection (one active copy per projection across all projector processes). "
            + "Serves /health/live, /health/ready and /metrics on PORT (default 8082). "
            + "SIGTERM finishes the current batch and exits 0.")

    public static let defaultPort = 8082

    @OptionGroup public var settings: ServiceSettings

    @Option(name: .customLong("batch-size"), help: "Events per transaction (default 1000)")
    public var batchSize: Int = 1000

    public init() {}

    public func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
    }

    public func run() async throws {
        let registry = ServiceHost.bootstrapProcess(settings: settings)
        let host = try ServiceHost(name: "projector", settings: settings, registry: registry, defaultPoolSize: 8,
                                   sessionSettings: ProjectionSessions.settings)
        let engine = ProjectorEngine(projections: ShopProjections.all(), pool: host.pool,
                                     conninfo: settings.resolvedDatabaseURL, registry: registry, logger: host.logger,
                                     batchSize: batchSize)
        let app = host.makeApplication(router: try host.makeRouter(readiness: { engine.readiness() }),
                                       defaultPort: Self.defaultPort)
        try await host.run([host.pool, engine, app])
    }
}
