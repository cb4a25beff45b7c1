import EventSourcing
import Foundation
import LibPQ
import Logging
import PostgresEventStore
import Prometheus
import ProjectorService
import ReadModel
import ShopDomain
import TestSupport
import Testing

/// A projector engine running in-process against a test database.
final class RunningProjector: Sendable {
    let engine: ProjectorEngine
    let pool: ConnectionPool
    let task: Task<Void, Never>
    let registry = PrometheusCollectorRegistry()

    init(conninfo: String, projections: [any ReadModelProjection] = ShopProjections.all(), batchSize: Int = 1000,
         stallAfter: Duration = .seconds(30)) {
        pool = ConnectionPool(conninfo: conninfo, maxConnections: 8, acquireTimeout: .seconds(10))
        var logger = Logger(label: "test.projector")
        logger.logLevel = .critical
        let engine = ProjectorEngine(projections: projections, pool: pool, conninfo: conninfo, registry: registry,
                                     logger: logger, batchSize: batchSize, stallAfter: stallAfter)
        self.engine = engine
        task = Task { try? await engine.run() }
    }

    func stop() async {
        task.cancel()
        await task.value
        await pool.close()
    }
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

    /// Waits until every named projection's checkpoint is at the log's head.
    static func waitUntilCaughtUp(_ conninfo: String, projections: [String] = ShopProjections.names,
                                  timeout: Duration = .seconds(60)) async throws {
        let connection = try await Connection.connect(conninfo)
        defer { Task { await connection.close() } }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let head = try await head(on: connection) ?? .start
            let checkpoints = try await ProjectionCheckpoints.loadAll(on: connection)
            let caughtUp = projections.allSatisfy { name in
                checkpoints.first { $0.name == name }.map { $0.position >= head } ?? (head == .start)
            }
            if caughtUp { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSetupError("projections did not catch up within \(timeout)")
    }

    /// Projects every event from scratch, in log order, into `schema`, and
    /// returns the tables whose contents differ from the live ones.
    static func differencesFromScratch(_ connection: Connection, schema: String = "scratch") async throws -> [String] {
        try await ShopProjections.createAllTables(in: schema, on: connection)
        var position = LogPosition.start
        let projections = ShopProjections.all(schema: schema)
        while true {
            let events = try await EventLog.read(after: position, limit: 500, on: connection)
            guard let last = events.last else { break }
            try await connection.withTransaction { tx in
                for projection in projections { try await projection.apply(events, on: tx) }
            }
            position = last.position
        }
        var differing: [String] = []
        for projection in ShopProjections.all() {
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

/// Writes realistic events through the domain, as the command service would.
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
