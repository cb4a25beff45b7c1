/// How long a test waits for something the contract promises. Each bound is
/// the promise itself (API.md, README, docker-compose.yml), not a measurement
/// of this machine: a wait that runs out is a broken promise, and a loaded
/// machine that is merely slow stays well inside it.
public enum Bound {
    /// A process is up and listening: the Compose healthcheck's
    /// `start_period` (20 s), the time an orchestrator allows before a
    /// failing check counts (PackagingTests checks the file says so).
    public static let startup: Duration = .seconds(20)

    /// SIGTERM to exit 0, drain included: Compose's `stop_grace_period`
    /// (30 s), after which the process would be killed (README "Shutdown").
    public static let drain: Duration = .seconds(30)

    /// A committed event is in the views: the longest `Consistency-Wait` a
    /// client may ask for (30 000 ms, API.md). A read-your-writes client that
    /// waits that long must be answered `fresh`.
    public static let projection: Duration = .seconds(30)

    /// A projector catching up on a preloaded log of thousands of events, a
    /// test's set-up rather than what it checks: in full parallel runs on
    /// two cores the orders projection took over 30 s for 12,000 once, and
    /// over 62 s for 32,000.
    public static let preloadCatchUp: Duration = .seconds(120)

    /// A standby projector holds the lease after the holder died or lost it:
    /// "within seconds" (API.md), the standby retrying every 250 ms: about
    /// a second when idle; 5 s leaves room for a loaded machine (a full run
    /// on two cores took 2.4 s once) and still fails a standby that does not
    /// retry promptly (one retrying every 10 s took 9.5 s).
    public static let leaseTakeover: Duration = .seconds(5)

    /// A projection stopped at a poison event shows `failed`: its four
    /// attempts back off 100 + 400 + 1600 ms (`ProjectionRunner.Settings`),
    /// then the failure is recorded; within the projection bound.
    public static let poisonRecorded: Duration = projection
}

/// A wait that ran out: what did not happen, and within how long.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Waits until `condition` holds, looking every `interval`, and throws
/// `WaitTimedOut` naming `what` once `timeout` has passed without it. Every
/// wait of the suite on observable state goes through here, so none is
/// unbounded and none is a bare sleep.
public func waitUntil(_ what: @autoclosure () -> String, within timeout: Duration,
                      every interval: Duration = .milliseconds(25),
                      _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else {
            throw WaitTimedOut(description: "\(what()): not within \(timeout)")
        }
        try await Task.sleep(for: interval)
    }
}

/// As `waitUntil`, for a value: returns the first non-nil one.
public func waitFor<T>(_ what: @autoclosure () -> String, within timeout: Duration,
                       every interval: Duration = .milliseconds(25),
                       _ value: () async throws -> T?) async throws -> T {
    var found: T?
    try await waitUntil(what(), within: timeout, every: interval) {
        found = try await value()
        return found != nil
    }
    return found!
}
