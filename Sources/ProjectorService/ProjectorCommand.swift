import ArgumentParser
import HTTPCommon
import Hummingbird

/// `projector`: tails the event table into the read tables; serves only
/// operations endpoints.
public struct ProjectorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "projector",
        abstract: "Chronicle's projector: tails events into the read tables.",
        discussion: "Serves /health/live, /health/ready and /metrics on PORT (default 8082). "
            + "SIGTERM finishes the current batch and exits 0.")

    public static let defaultPort = 8082

    @OptionGroup public var settings: ServiceSettings

    public init() {}

    public func run() async throws {
        let registry = ServiceHost.bootstrapProcess(settings: settings)
        let host = try ServiceHost(name: "projector", settings: settings, registry: registry, defaultPoolSize: 4)
        let app = host.makeApplication(router: host.makeRouter(), defaultPort: Self.defaultPort)
        try await host.run([host.pool, app])
    }
}
