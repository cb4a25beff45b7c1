import Accounts
import CommandService
import EventSourcing
import Foundation
import HTTPCommon
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import Logging
import PostgresEventStore
import Prometheus
import QueryService
import ReadModel
import TestSupport
import Testing

/// The real command-service and query-service routers serving only the
/// accounts context, on one fresh database, driven in-process. No projector
/// runs: `projectLog()` applies what the commands appended, as the projector
/// would.
struct RouteHarness: Sendable {
    let command: any TestClientProtocol
    let query: any TestClientProtocol
    let database: TestDatabase

    static func run(_ body: @escaping @Sendable (RouteHarness) async throws -> Void) async throws {
        try await TestDatabase.withMigrated { database in
            let common = ["--database-url", database.conninfo, "--migrations", TestEnvironment.migrationsDirectory.path,
                          "--pool-size", "4", "--pool-timeout", "30", "--log-level", "critical"]
            let commandHost = try ServiceHost(name: "command-service", settings: try ServiceSettings.parse(common),
                                              registry: PrometheusCollectorRegistry())
            let queryCommand = try QueryServiceCommand.parse(common)
            let queryHost = try ServiceHost(name: "query-service", settings: queryCommand.settings,
                                            registry: PrometheusCollectorRegistry())
            var logger = Logger(label: "test.http")
            logger.logLevel = .warning
            let commandApp = Application(
                router: try CommandServiceCommand().buildRouter(commandHost, contexts: [Accounts.self]), logger: logger)
            let queryApp = Application(router: try queryCommand.build(queryHost, contexts: [Accounts.self]).router,
                                       logger: logger)
            func cleanUp() async {
                await commandHost.pool.close()
                await queryHost.pool.close()
            }
            do {
                try await commandApp.test(.router) { command in
                    try await queryApp.test(.router) { query in
                        try await body(RouteHarness(command: command, query: query, database: database))
                    }
                }
            } catch {
                await cleanUp()
                throw error
            }
            await cleanUp()
        }
    }

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPFields
        var body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }

        var isProblem: Bool { headers[.contentType] == "application/problem+json" }
        var errorFields: [String] { (json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }
    }

    private static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String,
                             json: String?) async throws -> Answer {
        let response = try await client.executeRequest(uri: path, method: method, headers: [:],
                                                       body: json.map { ByteBuffer(string: $0) })
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
    }

    /// A command on the command service.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ path: String, json: String? = nil) async throws -> Answer {
        try await Self.send(command, method, path, json: json)
    }

    /// A GET on the query service.
    func get(_ path: String) async throws -> Answer {
        try await Self.send(query, .get, path, json: nil)
    }

    /// Runs a create; its answer must be a 201 naming the new resource as `idField`.
    func create(_ path: String, json: String, idField: String) async throws -> String {
        let answer = try await send(.post, path, json: json)
        #expect(answer.status == 201, "\(path): \(answer.body)")
        return try #require(answer.json[idField] as? String, "\(answer.body)")
    }

    func eventCount() async throws -> Int {
        let connection = try await database.connect()
        defer { Task { await connection.close() } }
        return try await connection.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0)
    }

    /// Applies the whole log afresh to the accounts' projections, in one
    /// batch each (so it may run again after more commands).
    func projectLog() async throws {
        let connection = try await database.connect()
        do {
            let tables = ProjectionRegistry.accounts.all().flatMap(\.tables).map(quoteIdentifier).joined(separator: ", ")
            try await connection.execute(unsafeScript: "TRUNCATE \(tables)")
            // The reader stops below the oldest transaction still running
            // anywhere on the server (other tests' too): wait until it
            // reaches every event the commands appended.
            let appended = try await connection.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0)
            var events: [RecordedEvent] = []
            let deadline = ContinuousClock.now + .seconds(20)
            while true {
                events = try await TransactionalEventStore(connection: connection).readAll(after: .start, limit: 10_000)
                if events.count >= appended || ContinuousClock.now > deadline { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try #require(events.count == appended, "the log reader stayed behind the events table")
            try await project(events, on: connection)
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
    }
}
