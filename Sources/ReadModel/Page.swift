public import LibPQ

/// One page of a list: `{"items", "page", "page_size", "total"}`, where
/// `total` counts every matching item and a page past the end has no items.
public struct Page<Element: Sendable>: Sendable {
    public var items: [Element]
    public var page: Int
    public var pageSize: Int
    public var total: Int

    public init(items: [Element], page: Int, pageSize: Int, total: Int) {
        self.items = items
        self.page = page
        self.pageSize = pageSize
        self.total = total
    }

    /// LIMIT and OFFSET for page `page` (from 1) of `pageSize` items. The
    /// HTTP layer validates the ranges; out-of-range input still makes a
    /// valid query (an empty page) instead of a trap on overflow.
    public static func window(page: Int, pageSize: Int) -> (limit: Int, offset: Int) {
        let limit = max(0, pageSize)
        let (offset, overflow) = max(0, page - 1).multipliedReportingOverflow(by: limit)
        return (limit, overflow ? Int.max : offset)
    }
}

extension Page: Equatable where Element: Equatable {}

extension Page: Encodable where Element: Encodable {
    enum CodingKeys: String, CodingKey {
        case items, page, pageSize = "page_size", total
    }
}

extension Page {
    /// The page a page statement returned: every row carries the `total`
    /// column (a page past the end is one row with only the total), and
    /// the rows whose `key` column is not NULL are the items, made by `item`.
    public init(rows: QueryResult, page: Int, pageSize: Int, key: String,
                item: (Row) throws -> Element) throws {
        var items: [Element] = []
        items.reserveCapacity(rows.count)
        for row in rows where try !row.isNull(named: key) { items.append(try item(row)) }
        self.init(items: items, page: page, pageSize: pageSize,
                  total: try rows.first.map { try $0.decode(Int.self, named: "total") } ?? 0)
    }
}
