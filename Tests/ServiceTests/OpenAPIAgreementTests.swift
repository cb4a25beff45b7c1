import CommandService
import Foundation
import HTTPCommon
import Hummingbird
import HummingbirdTesting
import Prometheus
import Shop
import TestSupport
import Testing

/// openapi.yaml (in YAML's JSON form) and the routers must describe the same API.
@Suite("openapi.yaml agrees with the routes")
struct OpenAPIAgreementTests {
    static func documentedOperations(service: String) throws -> Set<String> {
        let data = try Data(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("openapi.yaml"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations: Set<String> = []
        for (path, item) in paths {
            for (method, operation) in item {
                guard let operation = operation as? [String: Any],
                      let owner = operation["x-service"] as? String, owner == service || owner == "both" else { continue }
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    static func routedOperations(_ router: Router<AppRequestContext>) -> Set<String> {
        Set(router.routes.map { route in
            let path = "\(route.path)".split(separator: "/").map { segment in
                segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
            }.joined(separator: "/")
            return "\(route.method.rawValue) /\(path)"
        })
    }

    @Test func commandServiceRoutesAreTheDocumentedOnes() async throws {
        try await TestDatabase.withMigrated { database in
            let settings = try ServiceSettings.parse([
                "--database-url", database.conninfo, "--migrations", TestEnvironment.migrationsDirectory.path,
            ])
            let host = try ServiceHost(name: "command-service", settings: settings, registry: PrometheusCollectorRegistry())
            let router = try CommandServiceCommand().buildRouter(host, contexts: ServedContexts.commands)
            #expect(Self.routedOperations(router) == (try Self.documentedOperations(service: "command")))
            let app = testApplication(router)
            try await app.test(.router) { client in
                try await client.execute(uri: "/openapi.json", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    let body = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                    #expect(body?["openapi"] as? String == "3.1.0")
                }
            }
            await host.pool.close()
        }
    }
}
