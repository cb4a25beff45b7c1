import EventSourcing
import Foundation
import HTTPCommon
import Hummingbird
import HummingbirdTesting
import Prometheus
import QueryService
import Shop
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Query service: a waiting request ends when its client goes away")
struct QueryClientGoneTests {
    @Test func closingTheConnectionEndsTheWait() async throws {
        try await TestDatabase.withMigrated { database in
            let command = try QueryServiceCommand.parse([
                "--database-url", database.conninfo, "--migrations", TestEnvironment.migrationsDirectory.path,
                "--log-level", "critical",
            ])
            let host = try ServiceHost(name: "query-service", settings: command.settings, registry: PrometheusCollectorRegistry())
            let parts = try command.build(host, contexts: ServedContexts.queries)
            let watcher = parts.watcher
            let running = Task { try? await watcher.run() }
            // A token no projection will reach: the request would wait 30 s.
            let token = ConsistencyToken(LogPosition(transactionID: 1 << 40, globalPosition: 1))
            try await Application(router: parts.router, server: .chronicle, logger: testServerLogger).test(.live) { client in
                let port = try #require(client.port)
                let socket = try LoopbackHTTP.sendAndLeaveOpen(port: port, request: """
                    GET /customers/\(UUID().uuidString.lowercased()) HTTP/1.1\r
                    Host: 127.0.0.1\r
                    Consistency-Token: \(token)\r
                    Consistency-Wait: 30000\r
                    \r

                    """)
                let deadline = ContinuousClock.now + .seconds(20)
                while watcher.waiting == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                #expect(watcher.waiting == 1)
                close(socket)
                let closed = ContinuousClock.now
                while watcher.waiting > 0, ContinuousClock.now - closed < .seconds(25) {
                    try await Task.sleep(for: .milliseconds(10))
                }
                let stoppedWaiting = ContinuousClock.now - closed
                #expect(watcher.waiting == 0)
                // Judged against the 30 s the request asked to wait, with room
                // for a loaded machine's stalls.
                #expect(stoppedWaiting < .seconds(20), "the wait outlived its client by \(stoppedWaiting)")
            }
            running.cancel()
            await host.pool.close()
        }
    }
}
