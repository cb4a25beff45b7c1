import EventSourcing
import Foundation
import LibPQ
import Logging
import PostgresEventStore
import ProjectorService
import Prometheus
import ReadModel
import Shop
import ShopDomain
import TestSupport
import Testing
import Wire

/// A projector engine running in-process against a test database.
///
/// It fails the test, when stopped or while a wait polls it, if the engine
/// ended or threw before `stop()`, if a projection's runner stopped on its
/// own, or if it logged trouble the test did not say it expects: a runner
/// that parks, or a loop that keeps throwing and retrying, would otherwise
/// pass every test that does not happen to wait on that projection.
final class RunningProjector: Sendable {
    /// What the test expects the projector to meet; anything worse fails it.
    enum Expecting: Int, Comparable, Sendable {
        /// Nothing logged at warning or above, no projection failed.
        case smoothRunning
        /// Interruptions the runners retry (the server restarted, a lease was
        /// lost): warnings, but no error and no failed projection.
        case interruptions
        /// Events that fail, for a while or for good: warnings, errors and
        /// failed projections.
        case failingEvents

        static func < (a: Expecting, b: Expecting) -> Bool { a.rawValue < b.rawValue }
    }

    let engine: ProjectorEngine
    let pool: ConnectionPool
    let part: LongRunning
    let registry = PrometheusCollectorRegistry()
    let log = LogRecorder()
    let expecting: Expecting

    /// The names of the projections it runs.
    let names: [String]

    /// - Parameter projections: the shop's unless told otherwise: the
    ///   engine's tests are about its projections, and each one more would
    ///   be a runner committing a checkpoint per batch for nothing.
    init(conninfo: String, projections: [any ReadModelProjection] = ProjectionRegistry.shop.all(), batchSize: Int = 1000,
         stallAfter: Duration = .seconds(30), expecting: Expecting = .smoothRunning) {
        // Sessions as the projector executable sets them up.
        pool = ConnectionPool(conninfo: try! ConnectionString.withSessionSettings(conninfo, ProjectionSessions.settings),
                              maxConnections: 8, acquireTimeout: .seconds(10))
        let engine = ProjectorEngine(projections: projections, pool: pool, conninfo: conninfo, registry: registry,
                                     logger: log.logger(label: "test.projector"), batchSize: batchSize,
                                     stallAfter: stallAfter)
        self.engine = engine
        self.expecting = expecting
        names = projections.map(\.name)
        part = LongRunning("the projector engine") { try await engine.run() }
    }

    /// The phase each projection reports in readiness (`running`,
    /// `waiting_for_lease`, `failed`, `stopped`), without any detail after it.
    var phases: [String: String] {
        engine.readiness().checks.reduce(into: [:]) { phases, check in
            guard check.key.hasPrefix("projection ") else { return }
            phases[String(check.key.dropFirst("projection ".count))] =
                String(check.value.prefix { $0 != "," && $0 != " " })
        }
    }

    /// What went wrong that the test did not expect, or nil.
    var trouble: String? {
        var problems: [String] = []
        if let failure = part.failure { problems.append(failure) }
        for (name, phase) in phases.sorted(by: { $0.key < $1.key }) {
            if phase == "stopped" { problems.append("projection \(name) stopped on its own") }
            if phase == "failed" && expecting < .failingEvents { problems.append("projection \(name) failed") }
        }
        let worst: Logger.Level = expecting == .smoothRunning ? .warning : expecting == .interruptions ? .error : .critical
        let logged = log.entries(atLeast: worst)
        if !logged.isEmpty { problems.append("logged:\n" + logged.map(\.description).joined(separator: "\n")) }
        return problems.isEmpty ? nil : problems.joined(separator: "\n")
    }

    /// Throws at once if something went wrong, for waits that poll it.
    func check() throws {
        if let trouble { throw HarnessTrouble(description: trouble) }
    }

    /// Waits until the named projections' checkpoints are at the log's head,
    /// failing fast if the projector is in trouble meanwhile.
    func waitUntilCaughtUp(_ conninfo: String, projections: [String]? = nil,
                           within timeout: Duration = Bound.projection) async throws {
        try await ProjectionProbe.waitUntilCaughtUp(conninfo, projections: projections ?? names, timeout: timeout,
                                                    watching: [self])
    }

    func stop(sourceLocation: SourceLocation = #_sourceLocation) async {
        // Judged before stopping: stopping itself ends the runners.
        let trouble = trouble
        await part.stop(recordingFailure: false)
        await pool.close()
        if let trouble { Issue.record(Comment(rawValue: trouble), sourceLocation: sourceLocation) }
    }
}

struct HarnessTrouble: Error, CustomStringConvertible {
    var description: String
}

/// Facts about a database's log and checkpoints, for waiting and comparing.
enum ProjectionProbe {
    /// The last event in log order, or nil for an empty log.
    static func head(on connection: Connection) async throws -> LogPosition? {
        try await connection.query("""
            SELECT transaction_id, global_position FROM events
            ORDER BY transaction_id DESC, global_position DESC LIMIT 1
            """).first.map { LogPosition(transactionID: try $0.decode(UInt64.self, at: 0),
                                         globalPosition: try $0.decode(Int64.self, at: 1)) }
    }

    /// Waits until every named projection's checkpoint is at the log's head
    /// (failing at once if one of the projectors `watching` is in trouble).
    static func waitUntilCaughtUp(_ conninfo: String, projections: [String]? = nil,
                                  timeout: Duration = Bound.projection,
                                  watching projectors: [RunningProjector] = []) async throws {
        let connection = try await Connection.connect(conninfo)
        defer { Task { await connection.close() } }
        try await waitUntilCaughtUp(on: connection, projections: projections, timeout: timeout, watching: projectors)
    }

    /// `projections` by default: those the watched projectors run, or (none
    /// watched: a projector process runs them all) every served one.
    static func waitUntilCaughtUp(on connection: Connection, projections: [String]? = nil,
                                  timeout: Duration = Bound.projection,
                                  watching projectors: [RunningProjector] = []) async throws {
        let projections = projections ?? (projectors.isEmpty ? ProjectionRegistry.served.names : projectors.flatMap(\.names))
        var seen = ""
        do {
            try await waitUntil("projections \(projections) caught up with the log", within: timeout) {
                for projector in projectors { try projector.check() }
                let (caughtUp, state) = try await caughtUp(on: connection, projections: projections)
                seen = state
                return caughtUp
            }
        } catch let timeout as WaitTimedOut {
            throw WaitTimedOut(description: "\(timeout.description) (last seen: \(seen))")
        }
    }

    /// Whether the named projections' checkpoints are at the log's head, and
    /// where they and the head are.
    static func caughtUp(on connection: Connection, projections: [String] = ProjectionRegistry.served.names) async throws
        -> (Bool, String) {
        let head = try await head(on: connection) ?? .start
        let checkpoints = try await ProjectionCheckpoints.loadAll(on: connection)
        let caughtUp = projections.allSatisfy { name in
            checkpoints.first { $0.name == name }.map { $0.position >= head } ?? (head == .start)
        }
        return (caughtUp, "head \(head); " + checkpoints.map { "\($0.name) \($0.position) \($0.state)" }.joined(separator: ", "))
    }

    /// Writes a new customer and order and waits until every projection has
    /// applied them: the check that a projector still advances on new writes
    /// after a rebuild's swap, a restart or a poison event.
    static func expectAdvancesOnNewWrites(_ shop: ShopWriter, on connection: Connection,
                                          watching projectors: [RunningProjector] = [],
                                          sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let customer = try await shop.registerCustomer("Written Afterwards")
        let order = try await shop.placeOrder(for: customer)
        try await waitUntilCaughtUp(on: connection, watching: projectors)
        #expect(try await count("SELECT count(*) FROM customers_view WHERE customer_id = \(customer.uuid) AND order_count = 1",
                                on: connection) == 1, "the new customer is not in its view", sourceLocation: sourceLocation)
        #expect(try await count("SELECT count(*) FROM orders_view WHERE order_id = \(order.uuid)", on: connection) == 1,
                "the new order is not in its view", sourceLocation: sourceLocation)
    }

    /// Waits until `name`'s checkpoint row is in `state`; returns it.
    @discardableResult
    static func waitForState(_ state: ProjectionCheckpoint.State, of name: String, on connection: Connection,
                             within timeout: Duration = Bound.poisonRecorded) async throws -> ProjectionCheckpoint {
        try await waitFor("projection \(name) \(state)", within: timeout) {
            try await ProjectionCheckpoints.load(name, on: connection).flatMap { $0.state == state ? $0 : nil }
        }
    }

    /// Projects every event from scratch, in log order, into `schema`, and
    /// returns the tables whose contents differ from the live ones.
    static func differencesFromScratch(_ connection: Connection, schema: String = "scratch") async throws -> [String] {
        try await ProjectionRegistry.served.createAllTables(in: schema, on: connection)
        var position = LogPosition.start
        let projections = ProjectionRegistry.served.all(schema: schema)
        while true {
            let events = try await EventLog.read(after: position, limit: 500, on: connection)
            guard let last = events.last else { break }
            try await connection.withTransaction { tx in
                for projection in projections { try await projection.apply(events, on: tx) }
            }
            position = last.position
        }
        var differing: [String] = []
        for projection in ProjectionRegistry.served.all() {
            for table in projection.tables {
                let live = "public.\(quoteIdentifier(table))", scratch = "\(quoteIdentifier(schema)).\(quoteIdentifier(table))"
                let count = try await connection.query(SQL(unsafeRaw: """
                    SELECT (SELECT count(*) FROM (SELECT * FROM \(live) EXCEPT ALL SELECT * FROM \(scratch)) a)
                         + (SELECT count(*) FROM (SELECT * FROM \(scratch) EXCEPT ALL SELECT * FROM \(live)) b)
                    """))[0].decode(Int.self, at: 0)
                if count != 0 { differing.append("\(table) (\(count) rows differ)") }
            }
        }
        return differing
    }

    static func count(_ sql: SQL, on connection: Connection) async throws -> Int {
        try await connection.query(sql)[0].decode(Int.self, at: 0)
    }
}

/// Values in Prometheus text.
enum Metrics {
    /// The value of the sample whose line starts with `prefix` (name, labels
    /// and the space before the value).
    static func value(_ prefix: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }
}

/// Writes realistic events through the domain, as the command service would.
/// Two commits out of position order, the case every reader of the log
/// must get right: `held`'s transaction took the lower position and stays
/// open (its row invisible to others), `other`'s took a higher one and has
/// committed. The test commits `held` when it likes, and closes both.
struct OutOfOrderCommits {
    let held: Connection
    let other: Connection
    let heldBack: CustomerID
    let wentAhead: CustomerID

    static func begin(on conninfo: String) async throws -> OutOfOrderCommits {
        let held = try await Connection.connect(conninfo)
        let other = try await Connection.connect(conninfo)
        try await held.query("BEGIN")
        let heldBack = try await ShopWriter(store: TransactionalEventStore(connection: held)).registerCustomer("Held Back")
        let wentAhead = try await other.withTransaction { tx in
            try await ShopWriter(store: TransactionalEventStore(connection: tx)).registerCustomer("Went Ahead")
        }
        return OutOfOrderCommits(held: held, other: other, heldBack: heldBack, wentAhead: wentAhead)
    }

    func close() async {
        await held.close()
        await other.close()
    }
}

struct ShopWriter: Sendable {
    let store: any EventStore
    let now = Date(timeIntervalSince1970: 1_795_500_000)

    var metadata: EventMetadata { EventMetadata(commandID: UUID(), correlationID: "test", causationID: "test") }

    @discardableResult
    func registerCustomer(_ name: String) async throws -> CustomerID {
        let id = CustomerID(UUID())
        _ = try await CommandRunner<Customer>(store: store, codec: Customer.codec).run(
            .register(name: try PersonName(validating: name), email: Email("\(id)@example.com")!, at: now),
            on: Customer.stream(id), metadata: metadata, claims: Customer.claims(for:))
        return id
    }

    /// `count` customers with one order each (named `prefix` and a number).
    func registerCustomersWithAnOrder(_ count: Int, named prefix: String) async throws {
        for n in 0..<count { try await placeOrder(for: try await registerCustomer("\(prefix) \(n)")) }
    }

    func rename(_ id: CustomerID, to name: String) async throws {
        _ = try await CommandRunner<Customer>(store: store, codec: Customer.codec).run(
            .rename(name: try PersonName(validating: name), at: now), on: Customer.stream(id), metadata: metadata)
    }

    @discardableResult
    func placeOrder(for customer: CustomerID, sku: String = "MUG", quantity: Int = 2, price: String = "4.50") async throws
        -> OrderID {
        let id = OrderID(UUID())
        try await order(id, .place(customer: customer, lines: [OrderLine(sku: Sku(sku)!, quantity: quantity,
                                                                          unitPrice: Money(parsing: price)!)],
                                   shippingAddress: ShippingAddress(line1: "1 Main St", city: "Berlin", postalCode: "10117",
                                                                    country: "DE"), at: now))
        return id
    }

    func order(_ id: OrderID, _ command: Order.Command) async throws {
        _ = try await CommandRunner<Order>(store: store, codec: Order.codec).run(command, on: Order.stream(id),
                                                                               metadata: metadata)
    }
}
