import ArgumentParser
import HTTPCommon
import Hummingbird

/// `query-service`: serves the projected read tables (API.md "Query service").
public struct QueryServiceCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "query-service",
        abstract: "Chronicle's read side: serves the projected views.",
        discussion: "Serves the query API on PORT (default 8081). SIGTERM drains in-flight requests and exits 0.")

    public static let defaultPort = 8081

    @OptionGroup public var settings: ServiceSettings

    public init() {}

    public func run() async throws {
        let registry = ServiceHost.bootstrapProcess(settings: settings)
        let host = try ServiceHost(name: "query-service", settings: settings, registry: registry)
        let app = host.makeApplication(router: try host.makeRouter(servesOpenAPI: true), defaultPort: Self.defaultPort)
        try await host.run([host.pool, app])
    }
}
