import ArgumentParser
import HTTPCommon
import Hummingbird

/// `command-service`: validates commands against aggregates and appends
/// events (API.md "Command service").
public struct CommandServiceCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "command-service",
        abstract: "Chronicle's write side: validates commands and appends events.",
        discussion: "Serves the command API on PORT (default 8080). SIGTERM drains in-flight requests and exits 0.")

    public static let defaultPort = 8080

    @OptionGroup public var settings: ServiceSettings

    public init() {}

    public func run() async throws {
        let registry = ServiceHost.bootstrapProcess(settings: settings)
        let host = try ServiceHost(name: "command-service", settings: settings, registry: registry)
        let app = host.makeApplication(router: buildRouter(host), defaultPort: Self.defaultPort)
        try await host.run([host.pool, app])
    }

    public func buildRouter(_ host: ServiceHost) -> Router<AppRequestContext> {
        host.makeRouter()
    }
}
