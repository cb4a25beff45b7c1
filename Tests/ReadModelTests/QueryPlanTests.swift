import Foundation
import LibPQ
import ReadModel
@testable import Shop
import ShopDomain
import TestSupport
import Testing

/// Every list query is served by an index. The tables get a few thousand
/// rows and fresh statistics, then EXPLAIN shows each query's plan.
///
/// The first page of every list is read through its index with the planner's
/// default settings. For a deep page of a filter that matches a quarter of
/// this small table (`status = 'shipped'`, offset 780 of 1250 rows), the
/// planner legitimately prefers reading the table once and sorting it to 800
/// random index fetches; on a table of production size the index wins. So
/// deep pages are checked with `enable_seqscan = off`, which proves the index
/// exists and serves them. Totals read the projections' counters (a few
/// rows, sequentially scanned) or, for one customer, the customer index.
@Suite("Query plans use the indexes")
struct QueryPlanTests {
    static let rows = 5000

    static func fill(_ connection: Connection) async throws {
        try await connection.execute(unsafeScript: """
            INSERT INTO orders_view
            SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                   ('c0000000-0000-4000-8000-' || lpad((g % 500)::text, 12, '0'))::uuid,
                   'Customer ' || (g % 500), (ARRAY['pending', 'confirmed', 'shipped', 'cancelled'])[g % 4 + 1],
                   3, 2999, 'Unter den Linden 1', NULL, 'Berlin', '10117', 'DE',
                   timestamptz '2026-01-01' + g * interval '1 minute', timestamptz '2026-06-01', 2
            FROM generate_series(1, \(rows)) AS g;
            INSERT INTO orders_view_lines
            SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, sku, position, 1, 999
            FROM generate_series(1, \(rows)) AS g, (VALUES ('MUG', 1), ('TEA', 2), ('PEN', 3)) AS l(sku, position);
            INSERT INTO customers_view
            SELECT ('c0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'Customer ' || g,
                   'c' || g || '@example.org', 10, 29990, timestamptz '2026-06-01', 1
            FROM generate_series(1, \(rows)) AS g;
            INSERT INTO daily_sales_view
            SELECT date '2010-01-01' + g, 100, 3, 123456 FROM generate_series(0, \(rows - 1)) AS g;
            """)
        try await connection.execute(unsafeScript: """
            INSERT INTO orders_status_counts SELECT status, count(*) FROM orders_view GROUP BY status;
            INSERT INTO customers_count (customers) SELECT count(*) FROM customers_view;
            """)
        try await connection.execute(unsafeScript: "VACUUM ANALYZE")
    }

    /// The tables that grow with the data; the counters stay a few rows.
    static let bigTables: Set<String> = ["orders_view", "orders_view_lines", "customers_view", "customers_orders",
                                         "daily_sales_view", "daily_sales_orders"]

    /// The plan, with sequential scans off when `forcingIndexes`.
    static func plan(_ statement: SQL, forcingIndexes: Bool, on connection: Connection) async throws -> [Node] {
        guard forcingIndexes else { return try await plan(statement, on: connection) }
        try await connection.query("SET enable_seqscan = off")
        let nodes = try await plan(statement, on: connection)
        try await connection.query("RESET enable_seqscan")
        return nodes
    }

    struct Node: CustomStringConvertible {
        var type: String
        var relation: String?
        var index: String?
        var description: String { "\(type)(\(relation ?? index ?? ""))" }
    }

    /// The plan's nodes, depth first.
    static func plan(_ statement: SQL, on connection: Connection) async throws -> [Node] {
        let result = try await connection.query(SQL(unsafeRaw: "EXPLAIN (FORMAT JSON) " + statement.text,
                                                     bindings: statement.bindings))
        let text = try result[0].decode(String.self, at: 0)
        let document = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [[String: Any]]
        var nodes: [Node] = []
        func walk(_ plan: [String: Any]) {
            nodes.append(Node(type: plan["Node Type"] as! String, relation: plan["Relation Name"] as? String,
                              index: plan["Index Name"] as? String))
            for child in plan["Plans"] as? [[String: Any]] ?? [] { walk(child) }
        }
        walk(document[0]["Plan"] as! [String: Any])
        return nodes
    }

    /// Sequential scans of tables that grow with the data.
    static func seqScans(_ nodes: [Node]) -> [String] {
        nodes.filter { $0.type == "Seq Scan" }.compactMap(\.relation).filter(bigTables.contains)
    }

    static func indexes(_ nodes: [Node]) -> Set<String> { Set(nodes.compactMap(\.index)) }

    @Test func orderListsUseTheirIndexes() async throws {
        try await withConnection { connection in
            try await Self.fill(connection)
            let customer = CustomerID(UUID(uuidString: "c0000000-0000-4000-8000-000000000007")!)
            let cases: [(CustomerID?, Order.Status?, Set<String>)] = [
                (nil, nil, ["orders_view_by_created"]),
                (customer, nil, ["orders_view_by_customer"]),
                (nil, .shipped, ["orders_view_by_status"]),
                (customer, .shipped, ["orders_view_by_customer"]),
            ]
            for (customer, status, expected) in cases {
                for (page, forcing) in [(1, false), (1, true), (40, true)] {
                    let nodes = try await Self.plan(
                        queries.ordersStatement(customerID: customer, status: status, page: page, pageSize: 20),
                        forcingIndexes: forcing, on: connection)
                    #expect(Self.seqScans(nodes).isEmpty, "page \(page): \(nodes)")
                    #expect(expected.isSubset(of: Self.indexes(nodes)), "page \(page): \(nodes)")
                }
            }
            let one = try await Self.plan(queries.orderStatement(id: OrderID(UUID(uuidString:
                "00000000-0000-4000-8000-000000000042")!)), on: connection)
            #expect(Self.seqScans(one).isEmpty, "\(one)")
            #expect(Self.indexes(one) == ["orders_view_pkey", "orders_view_lines_pkey"], "\(one)")
        }
    }

    @Test func customerListUsesTheNameIndex() async throws {
        try await withConnection { connection in
            try await Self.fill(connection)
            for (page, forcing) in [(1, false), (100, true)] {
                let nodes = try await Self.plan(queries.customersStatement(page: page, pageSize: 20),
                                                forcingIndexes: forcing, on: connection)
                #expect(Self.seqScans(nodes).isEmpty, "\(nodes)")
                #expect(Self.indexes(nodes).contains("customers_view_by_name"), "\(nodes)")
            }
        }
    }

    @Test func dailySalesUsesTheDateKey() async throws {
        try await withConnection { connection in
            try await Self.fill(connection)
            let nodes = try await Self.plan(queries.dailySalesStatement(from: "2020-01-01", to: "2020-12-31"),
                                            on: connection)
            #expect(Self.seqScans(nodes).isEmpty, "\(nodes)")
            #expect(Self.indexes(nodes) == ["daily_sales_view_pkey"], "\(nodes)")
        }
    }
}
