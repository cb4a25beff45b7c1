import CommandService
import Foundation
import HTTPCommon
import Hummingbird
import HummingbirdTesting
import LibPQ
import Prometheus
import Shop
import TestSupport
import Testing

@Suite("Operations endpoints and the cooperative pool")
struct OperationsEndpointTests {
    func host(for database: TestDatabase, poolSize: Int = 8, extra: [String] = []) throws -> ServiceHost {
        let settings = try ServiceSettings.parse([
            "--database-url", database.conninfo, "--migrations", TestEnvironment.migrationsDirectory.path,
            "--pool-size", String(poolSize),
        ] + extra)
        return try ServiceHost(name: "command-service", settings: settings, registry: PrometheusCollectorRegistry())
    }

    @Test func liveAnswersWhileSixtyFourQueriesBlockInPostgres() async throws {
        try await TestDatabase.withMigrated { database in
            let host = try host(for: database, poolSize: 64)
            let app = testApplication(try CommandServiceCommand().buildRouter(host, contexts: ServedContexts.commands))
            try await app.test(.router) { client in
                let sleepers = Task { () -> ContinuousClock.Instant in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<64 { group.addTask { _ = try await host.pool.query("SELECT pg_sleep(12)") } }
                        try await group.waitForAll()
                    }
                    return ContinuousClock.now
                }
                try await ServerActivity.waitForActive(64, running: "SELECT pg_sleep(12)", in: database.conninfo)
                try await client.execute(uri: "/health/live", method: .get) { response in
                    #expect(response.status == .ok)
                }
                let answered = ContinuousClock.now
                let sleepsEnded = try await sleepers.value
                // Were libpq calls on the cooperative pool, /health/live could
                // only answer once the 12 s sleeps released its threads; 3 s of
                // margin leaves room for a loaded machine.
                #expect(answered < sleepsEnded - .seconds(3), "live answered \(sleepsEnded - answered) before the sleeps ended")
            }
            await host.pool.close()
        }
    }

    /// With every pooled connection busy, a command waits the configured
    /// pool timeout, then is answered 503 with Retry-After, appending nothing.
    @Test func aRequestThatFindsNoFreeConnectionIs503AfterThePoolTimeout() async throws {
        try await TestDatabase.withMigrated { database in
            let host = try host(for: database, poolSize: 1, extra: ["--pool-timeout", "0.5"])
            #expect(host.pool.configuration.acquireTimeout == .milliseconds(500))
            let app = testApplication(try CommandServiceCommand().buildRouter(host, contexts: ServedContexts.commands))
            try await app.test(.router) { client in
                // The pool's one connection is lent until the answer came.
                let (held, heldNow) = AsyncStream<Void>.makeStream()
                let (release, releaseNow) = AsyncStream<Void>.makeStream()
                let holder = Task {
                    try await host.pool.withConnection { _ in
                        heldNow.yield()
                        for await _ in release {}
                    }
                }
                for await _ in held { break }
                let sent = ContinuousClock.now
                try await client.execute(uri: "/customers", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: #"{"name": "Ada", "email": "ada@example.com"}"#)) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] != nil)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
                let waited = ContinuousClock.now - sent
                #expect(waited >= .milliseconds(500), "answered after \(waited)")
                releaseNow.finish()
                try await holder.value
            }
            #expect(try await database.makePool(maxConnections: 1).query("SELECT count(*) FROM events")[0]
                .decode(Int.self, at: 0) == 0)
            await host.pool.close()
        }
    }

    @Test func unknownRouteIsProblemJSONAndCounted() async throws {
        try await TestDatabase.withMigrated { database in
            let host = try host(for: database)
            let app = testApplication(try CommandServiceCommand().buildRouter(host, contexts: ServedContexts.commands))
            try await app.test(.router) { client in
                try await client.execute(uri: "/no/such/route", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(String(buffer: response.body).contains("\"status\":404"))
                    #expect(response.headers[.requestID] != nil)
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(String(buffer: response.body).contains("status=\"404\""))
                }
            }
            await host.pool.close()
        }
    }

    @Test func readyIs503WhenTheDatabaseIsUnreachable() async throws {
        let settings = try ServiceSettings.parse([
            "--database-url", "postgresql://postgres@127.0.0.1:9/none?connect_timeout=2",
            "--migrations", TestEnvironment.migrationsDirectory.path,
        ])
        let host = try ServiceHost(name: "command-service", settings: settings, registry: PrometheusCollectorRegistry())
        let app = testApplication(try CommandServiceCommand().buildRouter(host, contexts: ServedContexts.commands))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("unreachable"))
            }
        }
    }
}
