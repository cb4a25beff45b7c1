import CommandService
import Foundation
import HTTPCommon
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import PostgresEventStore
import Prometheus
import QueryService
import ReadModel
import Shop
import Synchronization
import TestSupport
import Testing

/// The real query-service router and command-service router on one fresh
/// database, both driven in-process, with the query service's checkpoint
/// watcher, the command side's commit notifier and (switchable) an
/// in-process projector running, as the three processes would.
struct QueryAPIHarness: Sendable {
    let query: any TestClientProtocol
    let command: any TestClientProtocol
    /// The database commands write to and the projector runs on.
    let conninfo: String
    let probe: ConnectionPool
    let projector: ProjectorSwitch
    let watcher: CheckpointWatcher

    /// - Parameters:
    ///   - projectorRunning: start the in-process projector at once.
    ///   - readDatabase: a `--read-database-url` for the query service, made
    ///     from the test's database (nil: read from it directly).
    static func run(projectorRunning: Bool = true,
                    readDatabase: (@Sendable (TestDatabase) async throws -> String)? = nil,
                    _ body: @escaping @Sendable (QueryAPIHarness) async throws -> Void) async throws {
        try await TestDatabase.withMigrated { database in
            try await run(conninfo: database.conninfo, readDatabaseURL: try await readDatabase?(database),
                          projectorRunning: projectorRunning, body)
        }
    }

    /// As `run`, on a migrated database of the caller's.
    static func run(conninfo: String, readDatabaseURL: String?, projectorRunning: Bool = true,
                    _ body: @escaping @Sendable (QueryAPIHarness) async throws -> Void) async throws {
        let common = ["--database-url", conninfo, "--migrations", TestEnvironment.migrationsDirectory.path,
                      "--pool-size", "8", "--pool-timeout", "30", "--log-level", "critical"]
        let commandHost = try ServiceHost(name: "command-service", settings: try ServiceSettings.parse(common),
                                          registry: PrometheusCollectorRegistry())
        let notifier = CommitNotifier(conninfo: conninfo)
        let commandApp = testApplication(try CommandServiceCommand().buildRouter(commandHost, contexts: ServedContexts.commands, notifier: notifier))

        let queryCommand = try QueryServiceCommand.parse(common + (readDatabaseURL.map { ["--read-database-url", $0] } ?? []))
        let queryHost = try ServiceHost(name: "query-service", settings: queryCommand.settings,
                                        registry: PrometheusCollectorRegistry())
        let parts = try queryCommand.build(queryHost, contexts: ServedContexts.queries)
        let queryApp = testApplication(parts.router)
        let watcher = parts.watcher, replicaPool = parts.replicaPool

        // They run until the test ends, as in their processes until SIGTERM;
        // either ending sooner fails the test.
        let background = [LongRunning("the command side's commit notifier") { try await notifier.run() },
                          LongRunning("the query side's checkpoint watcher") { try await watcher.run() }]
        let projector = ProjectorSwitch(conninfo: conninfo, background: background)
        if projectorRunning { projector.start() }
        let probe = ConnectionPool(conninfo: conninfo, maxConnections: 2)
        func cleanUp() async {
            await projector.stop()
            for part in background { await part.stop() }
            await commandHost.pool.close()
            await queryHost.pool.close()
            await replicaPool?.close()
            await probe.close()
        }
        do {
            try await commandApp.test(.router) { command in
                try await queryApp.test(.router) { query in
                    try await body(QueryAPIHarness(query: query, command: command, conninfo: conninfo, probe: probe,
                                                   projector: projector, watcher: watcher))
                }
            }
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()
    }

    /// A query-service router whose database refuses connections.
    static func withUnreachableDatabase(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void)
        async throws {
        let command = try QueryServiceCommand.parse([
            "--database-url", "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2",
            "--migrations", TestEnvironment.migrationsDirectory.path, "--log-level", "critical",
        ])
        let host = try ServiceHost(name: "query-service", settings: command.settings, registry: PrometheusCollectorRegistry())
        let parts = try command.build(host, contexts: ServedContexts.queries)
        let running = parts.watcher
        let watcher = LongRunning("the query side's checkpoint watcher") { try await running.run() }
        do {
            try await testApplication(parts.router).test(.router) { client in try await body(client) }
        } catch {
            await watcher.stop()
            await host.pool.close()
            throw error
        }
        await watcher.stop()
        await host.pool.close()
    }

    // MARK: Requests

    typealias Answer = CommandAPIHarness.Answer

    @discardableResult
    static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, json: String? = nil,
                     headers: [String: String] = [:]) async throws -> Answer {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        let response = try await client.executeRequest(
            uri: path, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) })
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
    }

    /// A GET on the query service.
    func get(_ path: String, headers: [String: String] = [:]) async throws -> Answer {
        try await Self.send(query, .get, path, headers: headers)
    }

    /// A GET on the query service with `Consistency-Token`.
    func get(_ path: String, after token: String, waitMilliseconds: Int? = nil) async throws -> Answer {
        var headers = ["Consistency-Token": token]
        if let waitMilliseconds { headers["Consistency-Wait"] = String(waitMilliseconds) }
        return try await get(path, headers: headers)
    }

    /// A command on the command service; its answer must be a 2xx.
    func run(_ method: HTTPRequest.Method, _ path: String, json: String? = nil) async throws -> CommandOutcome {
        let answer = try await Self.send(command, method, path, json: json)
        #expect((200...201).contains(answer.status), "\(method) \(path): \(answer.status) \(answer.body)")
        // The resource's id field: "<name>_id", or "sku" for an item.
        let id = ["order_id", "customer_id", "sku", "company_id", "user_id"].lazy.compactMap { answer.json[$0] as? String }.first
        return CommandOutcome(id: try #require(id), token: try #require(answer.json["consistency_token"] as? String))
    }

    struct CommandOutcome: Sendable {
        var id: String
        var token: String
    }

    func registerCustomer(_ name: String) async throws -> CommandOutcome {
        try await run(.post, "/customers",
                      json: #"{"name": "\#(name)", "email": "\#(UUID().uuidString.prefix(12))@example.com"}"#)
    }

    func placeOrder(customer: String, items: String = #"[{"sku": "A-1", "quantity": 2, "unit_price": "19.99"}]"#)
        async throws -> CommandOutcome {
        try await run(.post, "/orders", json: CommandAPIHarness.orderJSON(customer: customer, items: items))
    }

    func caughtUp(within timeout: Duration = Bound.projection) async throws {
        try await ProjectionProbe.waitUntilCaughtUp(conninfo, timeout: timeout,
                                                    watching: projector.current.map { [$0] } ?? [])
        try projector.checkBackground()
    }
}

/// Starts and stops the in-process projector of a harness.
final class ProjectorSwitch: Sendable {
    let conninfo: String
    let background: [LongRunning]
    private let running = Mutex<RunningProjector?>(nil)

    init(conninfo: String, background: [LongRunning] = []) {
        self.conninfo = conninfo
        self.background = background
    }

    /// Starts the projector (every served context's projections unless told otherwise),
    /// unless it runs already.
    func start(projections: [any ReadModelProjection] = ProjectionRegistry.served.all(),
               expecting: RunningProjector.Expecting = .smoothRunning) {
        running.withLock { running in
            if running == nil {
                running = RunningProjector(conninfo: conninfo, projections: projections, expecting: expecting)
            }
        }
    }

    var current: RunningProjector? { running.withLock { $0 } }

    /// Throws if one of the harness's other long-running parts has ended.
    func checkBackground() throws {
        if let failure = background.lazy.compactMap(\.failure).first { throw HarnessTrouble(description: failure) }
    }

    func stop() async {
        await running.withLock { running in
            defer { running = nil }
            return running
        }?.stop()
    }
}

extension CommandAPIHarness.Answer {
    var consistency: String? { headers[HTTPField.Name("Consistency")!] }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    var array: [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [[String: Any]] ?? []
    }
}
