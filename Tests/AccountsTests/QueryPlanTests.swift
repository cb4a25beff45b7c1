@testable import Accounts
import AccountsDomain
import Foundation
import LibPQ
import ReadModel
import TestSupport
import Testing

/// Every list query is served by an index. The tables get a few thousand
/// rows and fresh statistics, then EXPLAIN shows each query's plan: the
/// first page with the planner's default settings, a deep page with
/// sequential scans off (on a table this small the planner may rightly
/// prefer reading it whole to many index fetches; this proves the index
/// exists and serves the order).
@Suite("Accounts query plans use the indexes")
struct QueryPlanTests {
    static let rows = 5000

    static func fill(_ connection: Connection) async throws {
        try await connection.execute(unsafeScript: """
            INSERT INTO companies_view
            SELECT ('c0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'Company ' || g, g % 3 = 0, 10,
                   timestamptz '2026-01-01', timestamptz '2026-06-01', 2
            FROM generate_series(1, \(rows)) AS g;
            INSERT INTO users_view
            SELECT ('a0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'User ' || g, 'u' || g || '@example.org',
                   ('c0000000-0000-4000-8000-' || lpad((g % 500 + 1)::text, 12, '0'))::uuid, 'Company ' || (g % 500 + 1),
                   timestamptz '2026-01-01', timestamptz '2026-06-01', 1
            FROM generate_series(1, \(rows)) AS g;
            INSERT INTO companies_totals VALUES (true, \(rows), \(rows / 3), \(rows), 0);
            INSERT INTO users_count VALUES (true, \(rows));
            """)
        try await connection.execute(unsafeScript: "VACUUM ANALYZE")
    }

    /// The tables that grow with the data; the counters stay one row.
    static let bigTables: Set<String> = ["users_view", "companies_view", "users_company_names", "companies_memberships"]

    struct Node: CustomStringConvertible {
        var type: String
        var relation: String?
        var index: String?
        var description: String { "\(type)(\(relation ?? index ?? ""))" }
    }

    /// The plan's nodes, depth first; with sequential scans off when `forcingIndexes`.
    static func plan(_ statement: SQL, forcingIndexes: Bool = false, on connection: Connection) async throws -> [Node] {
        if forcingIndexes { try await connection.query("SET enable_seqscan = off") }
        let result = try await connection.query(SQL(unsafeRaw: "EXPLAIN (FORMAT JSON) " + statement.text,
                                                     bindings: statement.bindings))
        if forcingIndexes { try await connection.query("RESET enable_seqscan") }
        let text = try result[0].decode(String.self, at: 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        var nodes: [Node] = []
        func walk(_ plan: [String: Any]) {
            nodes.append(Node(type: plan["Node Type"] as? String ?? "?", relation: plan["Relation Name"] as? String,
                              index: plan["Index Name"] as? String))
            for child in plan["Plans"] as? [[String: Any]] ?? [] { walk(child) }
        }
        walk(try #require(document.first?["Plan"] as? [String: Any]))
        return nodes
    }

    static func check(_ statement: (Int) -> SQL, uses index: String, on connection: Connection,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for (page, forcing) in [(1, false), (1, true), (100, true)] {
            let nodes = try await plan(statement(page), forcingIndexes: forcing, on: connection)
            let seqScans = nodes.filter { $0.type == "Seq Scan" }.compactMap(\.relation).filter(bigTables.contains)
            #expect(seqScans.isEmpty, "page \(page): \(nodes)", sourceLocation: sourceLocation)
            #expect(nodes.contains { $0.index == index }, "page \(page): \(nodes)", sourceLocation: sourceLocation)
        }
    }

    @Test func userListsUseTheirIndexes() async throws {
        try await withConnection { connection in
            try await Self.fill(connection)
            try await Self.check({ users.usersStatement(companyID: nil, page: $0, pageSize: 20) },
                                 uses: "users_view_by_name", on: connection)
            // A company's 10 users: the deep page is past its end, still through the index.
            try await Self.check({ users.usersStatement(companyID: Fixture.company(7), page: $0, pageSize: 20) },
                                 uses: "users_view_by_company", on: connection)
        }
    }

    @Test func companyListsUseTheirIndexes() async throws {
        try await withConnection { connection in
            try await Self.fill(connection)
            try await Self.check({ companies.companiesStatement(active: nil, page: $0, pageSize: 20) },
                                 uses: "companies_view_by_name", on: connection)
            for active in [true, false] {
                try await Self.check({ companies.companiesStatement(active: active, page: $0, pageSize: 20) },
                                     uses: "companies_view_by_active", on: connection)
            }
        }
    }
}
