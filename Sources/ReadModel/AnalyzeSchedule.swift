/// When a projection's tables have grown enough since the planner last
/// looked at them that it should look again (`ReadModelSchema.analyze` says
/// why autovacuum comes too late for tables that grow from empty).
///
/// Events applied stand in for rows written. The first look comes after
/// `first` events, each next one when the count has doubled: a catch-up of
/// a million events analyzes about ten times, each time while its tables
/// are still young, and a projector that has long caught up leaves its
/// tables to autovacuum. The projector and `rebuild-projection` both keep one.
///
/// A projector that starts on tables already built counts from what they
/// hold (`alreadyApplied`, the checkpoint's log position: an upper bound):
/// counting from zero, each restart would `ANALYZE` tables of millions of
/// rows about ten times in its first minute, at half a second of server
/// time each, for growth of a few percent.
public struct AnalyzeSchedule: Sendable {
    public private(set) var applied: Int
    private var next: Int

    public init(first: Int = 1000, alreadyApplied: Int = 0) {
        applied = max(0, alreadyApplied)
        next = max(1, first, applied * 2)
    }

    /// Counts `events` applied; true when the tables are due for `ANALYZE`.
    public mutating func record(_ events: Int) -> Bool {
        applied += events
        guard applied >= next else { return false }
        next = applied * 2
        return true
    }
}
