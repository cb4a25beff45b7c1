import ReadModel
import Testing

@Suite("When a projection's tables are due for ANALYZE")
struct AnalyzeScheduleTests {
    /// The counts applied at which `schedule` said "due", fed `batches`.
    private func dueAt(_ schedule: AnalyzeSchedule, _ batches: [Int]) -> [Int] {
        var schedule = schedule
        var due: [Int] = []
        for batch in batches where schedule.record(batch) { due.append(schedule.applied) }
        return due
    }

    @Test func tablesGrownFromEmptyAreAnalyzedAtEachDoubling() {
        let due = dueAt(AnalyzeSchedule(first: 1000), Array(repeating: 500, count: 40))
        #expect(due == [1000, 2000, 4000, 8000, 16000])
    }

    /// A restart on tables of a million events' rows does not analyze them
    /// again until they have doubled.
    @Test func aProjectorStartedOnBuiltTablesCountsFromWhatTheyHold() {
        let due = dueAt(AnalyzeSchedule(first: 1000, alreadyApplied: 1_000_000), Array(repeating: 1000, count: 1500))
        #expect(due == [2_000_000])
    }
}
