import EventSourcing

/// Decides, from what the projector reads every second (the checkpoint row,
/// the lag after it, whether this copy holds the lease), whether a
/// projection has stalled: events are waiting and its checkpoint has not
/// moved for `threshold` while this copy is the one that should move it.
///
/// It judges the row in the database, not the runner's own belief, so it
/// catches every way of making no progress: a runner parked by mistake, a
/// batch that keeps failing and retrying, a lock that never comes, a lease
/// held by a copy that does nothing. A projection with nothing to do never
/// stalls, and neither does a copy waiting for another's lease.
struct StallWatch: Sendable {
    struct Verdict: Equatable, Sendable {
        var stalled: Bool
        /// How long events have waited with the checkpoint unchanged (0 while moving).
        var secondsWithoutProgress: Double
    }

    let threshold: Duration
    private var position: LogPosition?
    private var progressAt: ContinuousClock.Instant?

    init(threshold: Duration) { self.threshold = threshold }

    mutating func observe(position: LogPosition, lagEvents: Int, holdsLease: Bool,
                          now: ContinuousClock.Instant = .now) -> Verdict {
        if position != self.position || lagEvents == 0 || !holdsLease || progressAt == nil {
            self.position = position
            progressAt = now
        }
        let waited = now - (progressAt ?? now)
        return Verdict(stalled: lagEvents > 0 && holdsLease && waited >= threshold,
                       secondsWithoutProgress: lagEvents > 0 ? waited.seconds : 0)
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
