public import LibPQ

/// Whether projections have committed events left to apply: the
/// `Consistency` of an answer to a query without `Consistency-Token`.
public enum ProjectionLag {
    /// Reads the answer of `statement(_:)`: true when any of its projections
    /// has a committed event after its checkpoint.
    public static func anyPending(in result: QueryResult) throws -> Bool {
        try result[0].decode(Bool.self, at: 0)
    }

    /// A projection without a checkpoint row is at the start. Each probe is
    /// one index lookup on `events_log_order (transaction_id, global_position)`:
    /// the first row past the checkpoint, if there is one.
    public static func statement(_ names: [String]) -> SQL {
        """
        SELECT EXISTS (
            SELECT 1
            FROM unnest(string_to_array(\(names.joined(separator: ",")), ',')) AS wanted(name)
            LEFT JOIN projection_checkpoints AS c ON c.name = wanted.name
            WHERE EXISTS (
                SELECT 1 FROM events AS e
                WHERE (e.transaction_id, e.global_position)
                    > (coalesce(c.transaction_id, '0'::xid8), coalesce(c.global_position, 0))))
        """
    }
}
