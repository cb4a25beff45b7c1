import Foundation

/// One dedicated OS thread that runs blocking jobs in order. Each connection
/// owns one, so libpq's blocking calls never occupy Swift's cooperative pool
/// (see `LibPQ`).
final class ConnectionThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []  // guarded by `condition`
    private var stopping = false  // guarded by `condition`

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.stackSize = 512 * 1024
        thread.start()
    }

    /// Runs `body` on this thread and returns its result to the caller's task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue { continuation.resume(with: Result { try body() }) }
        }
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
