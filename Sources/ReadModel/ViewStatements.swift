public import LibPQ

/// A view's row by its key: the lookup behind a `GET` of one resource.
public enum ViewLookup {
    /// `columns` of the row of `table` whose `key` column is `value`, read
    /// by `make`; nil when there is none.
    public static func row<View>(_ columns: String, of table: String, key: String, equals value: some PostgresEncodable,
                                 on connection: Connection, _ make: (Row) throws -> View) async throws -> View? {
        let rows = try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM \(unsafeRaw: table) WHERE \(unsafeRaw: key) = \(value)
            """)
        return try rows.first.map(make)
    }
}

/// The one statement of a list page: the page's rows and the list's total,
/// so both come from one snapshot in one round trip. The total is a one-row
/// subquery left-joined to the page, so a page past the end still brings it
/// (one row, NULL items), which `Page(rows:page:pageSize:key:item:)` reads.
/// Each filter has its own text (and prepared plan) rather than
/// `($1 IS NULL OR …)`, which a generic plan could not serve from an index.
public enum PageStatement {
    /// Where a list's total comes from.
    public enum Total {
        /// A projection's counter: a statement giving one row with `n`.
        case counter(SQL)
        /// `count(*)` of the rows the filter matches (through its index: a
        /// filter matching few rows).
        case countingMatches
    }

    /// - Parameters:
    ///   - columns: the page's columns, as SQL text.
    ///   - table: the qualified table.
    ///   - filter: the condition both the page and a counted total use.
    ///   - keys: the order, unique in the end (the id last).
    public static func make(columns: String, from table: String, where filter: SQL? = nil, orderBy keys: [String],
                     total: Total, page: Int, pageSize: Int) -> SQL {
        let (limit, offset) = Page<Never>.window(page: page, pageSize: pageSize)
        let condition = filter.map { filter -> SQL in
            var condition: SQL = " WHERE "
            condition.append(filter)
            return condition
        }
        var statement: SQL = "SELECT total.n AS total, p.* FROM ("
        switch total {
        case .counter(let counter):
            statement.append(counter)
        case .countingMatches:
            statement.append(SQL(unsafeRaw: "SELECT count(*) AS n FROM \(table)"))
            if let condition { statement.append(condition) }
        }
        statement.append(SQL(unsafeRaw: ") AS total LEFT JOIN (SELECT \(columns) FROM \(table)"))
        if let condition { statement.append(condition) }
        statement.append(SQL(unsafeRaw: " ORDER BY " + keys.joined(separator: ", ")))
        statement.append(" LIMIT \(limit) OFFSET \(offset)")
        statement.append(SQL(unsafeRaw: ") AS p ON true ORDER BY " + keys.map { "p." + $0 }.joined(separator: ", ")))
        return statement
    }
}
