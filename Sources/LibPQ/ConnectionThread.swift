import Foundation
import Synchronization

/// One dedicated OS thread that runs blocking jobs in order. Each connection
/// owns one, so libpq's blocking calls never occupy Swift's cooperative pool
/// (see `LibPQ`).
///
/// It is also a `TaskExecutor`: the pool runs the code it lends a
/// connection to on that connection's thread, so each query of a request
/// calls libpq directly instead of handing off to the thread and back (two
/// context switches per round trip, the largest CPU cost of a command).
final class ConnectionThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []  // guarded by `condition`
    private var stopping = false  // guarded by `condition`
    /// The OS thread's `pthread_self()`, set before any job runs.
    private let owner = Atomic<UInt>(0)

    init(name: String) {
        let thread = Thread { [self] in
            owner.store(UInt(pthread_self()), ordering: .releasing)
            loop()
        }
        thread.name = name
        // Lent-connection code (JSON, decoding) runs here too, not only libpq.
        thread.stackSize = 1024 * 1024
        thread.start()
    }

    /// True on this thread, where a job may call libpq without a hand-off.
    var isCurrent: Bool { owner.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// Runs `body` on this thread and returns its result to the caller's
    /// task; at once when the caller already runs here.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if isCurrent { return try body() }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue { continuation.resume(with: Result { try body() }) }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        enqueue { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Lets the thread finish its queued jobs, then exit.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func enqueue(_ job: @escaping () -> Void) {
        condition.lock()
        let accepted = !stopping
        if accepted {
            jobs.append(job)
            condition.signal()
        }
        condition.unlock()
        if !accepted { job() }  // runs inline only to report the closed connection
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job() }
        }
    }
}
