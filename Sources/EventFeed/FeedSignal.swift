import Synchronization

/// Rung by one task, heard by any number: the process's one listener rings
/// it when events may have committed, and every open feed stream waiting on
/// it wakes. A waiter notes `generation` before it reads the log and waits
/// past that generation, so a ring between its read and its wait is never
/// lost; a burst of rings wakes it once.
///
/// A stream's stop (graceful shutdown, the client gone, Ctrl-C) is one too:
/// rung once, it stays rung.
public final class FeedSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// How many times it has been rung.
    public var generation: UInt64 { state.withLock { $0.generation } }

    public var hasRung: Bool { generation > 0 }

    public func ring() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once it has been rung more than `seen` times in all, or when
    /// the task is cancelled.
    public func wait(past seen: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.generation > seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
