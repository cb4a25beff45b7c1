import LibPQ
import TestSupport
import Testing

@Suite("SQL built from parts keeps every value a numbered parameter")
struct SQLBuildingTests {
    @Test func aFragmentsPlaceholdersFollowTheOnesBeforeIt() {
        let rule: SQL = "a = \(1) AND b = \(2)"
        let sql: SQL = "SELECT \(0) WHERE \(rule) AND c = \(3)"
        #expect(sql.text == "SELECT $1 WHERE a = $2 AND b = $3 AND c = $4")
        #expect(sql.bindings.map(\.text) == ["0", "1", "2", "3"])
    }

    @Test func appendingRenumbersPastNineAndLeavesOtherTextAlone() {
        var sql = SQL(unsafeRaw: "SELECT 'é' " + (1...11).map { "$\($0)" }.joined(separator: ", "),
                      bindings: (1...11).map { PostgresBinding($0) })
        sql.append(", \(12)::int, \(13)::text, $ , 'ü$'")
        #expect(sql.text == "SELECT 'é' $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::int, $13::text, $ , 'ü$'")
        #expect(sql.bindings.count == 13)
    }

    @Test func joinedPartsAreNumberedInTurnWithTheSeparatorBetween() {
        let rows = SQL(joining: (1...3).map { "(\($0), \("row \($0)"))" }, separator: ", ")
        #expect(rows.text == "($1, $2), ($3, $4), ($5, $6)")
        #expect(rows.bindings.map(\.text) == ["1", "row 1", "2", "row 2", "3", "row 3"])
        let sql: SQL = "SELECT \(0) FROM (VALUES \(rows)) AS v"
        #expect(sql.text == "SELECT $1 FROM (VALUES ($2, $3), ($4, $5), ($6, $7)) AS v")
        #expect(SQL(joining: [], separator: " AND ").text.isEmpty)
    }

    /// The built statement runs, with each value where its number says.
    @Test func aBuiltStatementRunsWithItsValuesInPlace() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            defer { Task { await connection.close() } }
            var sql = SQL(unsafeRaw: "SELECT " + (1...10).map { "$\($0)::int" }.joined(separator: " + "),
                          bindings: (1...10).map { PostgresBinding($0) })
            sql.append(" + \(100)::int * \(1000)::int")
            #expect(try await connection.query(sql)[0].decode(Int.self, at: 0) == 55 + 100_000)
        }
    }
}
