public import ArgumentParser
import Foundation
public import HTTPCommon
import Hummingbird
public import ReadModel

/// `projector`: tails the event table into the read tables; serves only
/// operations endpoints.
public struct ProjectorCommand: ContextServingCommand {
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

    @Option(name: .customLong("stall-after"),
            help: "Seconds a projection may hold its lease with events waiting and its checkpoint unmoved before /health/ready and chronicle_projection_stalled report it stalled (env PROJECTOR_STALL_AFTER, default 30)")
    public var stallAfter: Double?

    @Option(name: .customLong("projections"),
            help: "Comma-separated names of the projections this process runs (env PROJECTOR_PROJECTIONS, default all); copies started with other names run the rest, one active copy per projection still")
    public var projections: String?

    var resolvedStallAfter: Double {
        stallAfter ?? ProcessInfo.processInfo.environment["PROJECTOR_STALL_AFTER"].flatMap(Double.init) ?? 30
    }

    public init() {}

    public func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
        if let text = ProcessInfo.processInfo.environment["PROJECTOR_STALL_AFTER"], !text.isEmpty, stallAfter == nil,
           Double(text) == nil {
            throw ValidationError("PROJECTOR_STALL_AFTER must be a number of seconds, not '\(text)'")
        }
        guard resolvedStallAfter >= 1, resolvedStallAfter <= 86_400 else {
            throw ValidationError("the stall threshold (--stall-after, PROJECTOR_STALL_AFTER) must be between 1 and 86400 seconds")
        }
    }

    public func run(contexts: [any ProjectionModule.Type]) async throws {
        let selected = try Self.select(projections ?? ServiceSettings.environment("PROJECTOR_PROJECTIONS"),
                                       from: ProjectionRegistry(contexts).all())
        let registry = ServiceHost.bootstrapProcess(settings: settings)
        // Batches are many round trips and much CPU per loan: on shared
        // lanes they queued behind each other (catch-up cost 15 % more CPU).
        let host = try ServiceHost(name: "projector", settings: settings, registry: registry, defaultPoolSize: 8,
                                   sessionSettings: ProjectionSessions.settings, connectionsHaveOwnLanes: true)
        let engine = ProjectorEngine(projections: selected, pool: host.pool,
                                     conninfo: settings.resolvedDatabaseURL, registry: registry, logger: host.logger,
                                     batchSize: batchSize,
                                     stallAfter: .milliseconds(Int64(resolvedStallAfter * 1000)))
        let app = host.makeApplication(router: try host.makeRouter(readiness: { engine.readiness() }),
                                       defaultPort: Self.defaultPort)
        try await host.run([host.pool, engine, app])
    }

    /// The projections `list` names (all when it is nil or blank), in the
    /// registry's order; an unknown name is refused with the known ones.
    static func select(_ list: String?, from all: [any ReadModelProjection]) throws -> [any ReadModelProjection] {
        let names = (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { return all }
        let known = all.map(\.name)
        let unknown = names.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("unknown projection(s) \(unknown.joined(separator: ", ")) in --projections "
                + "(PROJECTOR_PROJECTIONS); known: \(known.joined(separator: ", "))")
        }
        return all.filter { names.contains($0.name) }
    }
}
