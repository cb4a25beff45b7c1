import Foundation
import Logging
import Synchronization
import Testing

/// A long-running part of the system under test, run in-process: a
/// projector engine, the query side's checkpoint watcher, the command side's
/// notifier. Each must run until the test stops it, as it would until
/// SIGTERM in its process. Ending or throwing before that is a failure of the
/// test, recorded when the test stops it (or sooner, through `failure`, by a
/// wait that polls it): a part that died quietly would otherwise pass every
/// test that does not happen to wait on it.
final class LongRunning: Sendable {
    let name: String
    private let outcome: Outcome
    private let task: Task<Void, Never>

    init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        let outcome = Outcome()
        self.outcome = outcome
        task = Task {
            do {
                try await body()
                outcome.end("returned")
            } catch {
                outcome.end("threw \(String(reflecting: error))")
            }
        }
    }

    /// Why the part is no longer running though nobody stopped it, or nil.
    var failure: String? {
        outcome.unexpectedEnd.map { "\(name) ended before the test stopped it: it \($0)" }
    }

    /// Stops the part (cancellation: what a process's service group does
    /// last) and records an issue if it had ended before (unless the caller
    /// reports that itself).
    func stop(recordingFailure: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) async {
        let failure = failure
        outcome.stopRequested()
        task.cancel()
        await task.value
        if recordingFailure, let failure { Issue.record(Comment(rawValue: failure), sourceLocation: sourceLocation) }
    }

    private final class Outcome: Sendable {
        private struct State {
            var stopping = false
            var ended: String?
        }

        private let state = Mutex(State())

        func end(_ how: String) { state.withLock { $0.ended = $0.ended ?? how } }
        func stopRequested() { state.withLock { $0.stopping = true } }
        var unexpectedEnd: String? { state.withLock { $0.stopping ? nil : $0.ended } }
    }
}

/// Keeps what an in-process part logs, so that a test can fail on it and
/// show it: a harness that silenced its logger would hide the warning a
/// failing loop leaves each time round.
final class LogRecorder: Sendable {
    struct Entry: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var text: String
        var description: String { "[\(level)] \(text)" }
    }

    private let entries = Mutex<[Entry]>([])

    func logger(label: String, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { _ in Handler(recorder: self) }
        logger.logLevel = level
        return logger
    }

    /// What was logged at `level` or above.
    func entries(atLeast level: Logger.Level) -> [Entry] {
        entries.withLock { $0.filter { $0.level >= level } }
    }

    fileprivate func record(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            recorder.record(Entry(level: event.level, text: "\(event.message) \(fields)"))
        }
    }
}
