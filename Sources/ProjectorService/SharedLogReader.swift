import EventSourcing
import LibPQ
import PostgresEventStore
import Synchronization

/// One read of the log for every runner that asks for the same position at
/// about the same time. Projections that keep up sit at the same checkpoint,
/// and one notification wakes them all: without sharing, each commit of the
/// write side cost a read per projection.
///
/// A runner joins a read in flight (or just finished) only if it started
/// after the latest `signal()`, the moment a wake-up was sent: a read from
/// before a commit's notification may miss that commit, and a runner woken
/// by it that joined such a read could go back to sleep with the event
/// unread. Nor does it join a read older than `reuseWindow`: a runner that
/// polls after a quiet spell (the fallback for a lost notification) must
/// really look. Any other read is its own.
final class SharedLogReader: Sendable {
    private struct Read {
        let after: LogPosition
        let limit: Int
        let startedAt: ContinuousClock.Instant
        let result: Task<[RecordedEvent], any Error>
    }

    private struct State {
        var latest: Read?
        var lastSignal = ContinuousClock.now
    }

    private let pool: ConnectionPool
    private let reuseWindow: Duration
    private let state = Mutex(State())

    /// - Parameter reuseWindow: how old a read may be and still be joined;
    ///   runners woken together ask within microseconds of each other.
    init(pool: ConnectionPool, reuseWindow: Duration = .milliseconds(10)) {
        self.pool = pool
        self.reuseWindow = reuseWindow
    }

    /// Called whenever runners are woken: later reads must start afresh.
    func signal() {
        state.withLock { $0.lastSignal = .now }
    }

    func read(after position: LogPosition, limit: Int) async throws -> [RecordedEvent] {
        let pool = pool
        let read = state.withLock { state -> Read in
            if let latest = state.latest, latest.after == position, latest.limit == limit,
               latest.startedAt >= state.lastSignal, ContinuousClock.now - latest.startedAt < reuseWindow {
                return latest
            }
            let read = Read(after: position, limit: limit, startedAt: .now, result: Task {
                try await pool.withConnection { try await EventLog.read(after: position, limit: limit, on: $0) }
            })
            state.latest = read
            return read
        }
        return try await read.result.value
    }
}
