public import ArgumentParser
import Foundation
import LibPQ
import ReadModel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension AdminCommand {
    /// `chronicle-admin rebuild-projection NAME` (or `--all`).
    public struct RebuildProjection: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "rebuild-projection",
            abstract: "Rebuild a projection from the first event with zero downtime.",
            discussion: """
                Builds new tables beside the live ones while the services keep answering from the old \
                ones, then swaps them in one transaction. Ctrl-C leaves the live projection untouched; \
                running the command again resumes.
                """)

        @OptionGroup var options: AdminOptions

        @Argument(help: "The projection to rebuild (`chronicle-admin projections` lists them).")
        var name: String?

        @Flag(help: "Rebuild every projection, side by side (each on a connection of its own).")
        var all = false

        @Option(name: .customLong("batch-size"), help: "Events per transaction (default 1000).")
        var batchSize = 1000

        public init() {}

        public func validate() throws {
            if all == (name != nil) { throw ValidationError("name one projection, or pass --all") }
            if let name, !AdminCommand.projections.names.contains(name) {
                throw ValidationError(
                    "unknown projection '\(name)'; known: \(AdminCommand.projections.names.joined(separator: ", "))")
            }
            guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1–10000") }
        }

        public func run() async throws {
            let names = all ? AdminCommand.projections.names : [name!]
            // One bar redrawn in place cannot show several projections.
            let display = ProgressDisplay(terminal: names.count == 1 && isatty(STDOUT_FILENO) == 1)
            // Side by side: a rebuild mostly waits for the server (its batches
            // are read, applied and committed one after the other), so
            // several overlap on the server's cores instead of queueing; each
            // has its own tables, checkpoint and lock, and swaps alone. The
            // first failure stops the others as Ctrl-C would: their live
            // projections stay as they were, and a new run resumes them.
            let (conninfo, batchSize) = (options.conninfo, batchSize)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for projection in names {
                    group.addTask {
                        try await Self.rebuild(projection, conninfo: conninfo, batchSize: batchSize, display: display)
                    }
                }
                try await group.waitForAll()
            }
        }

        private static func rebuild(_ projection: String, conninfo: String, batchSize: Int,
                                    display: ProgressDisplay) async throws {
            // The projector's session settings: a rebuild runs its batches.
            let connection = try await AdminOptions.connect(conninfo, sessionSettings: ProjectionSessions.settings)
            do {
                try await ProjectionRebuild(projection: projection, projections: AdminCommand.projections,
                                            connection: connection, batchSize: batchSize,
                                            report: display.show).run()
            } catch {
                await connection.close()
                throw failure(error, rebuilding: projection)
            }
            await connection.close()
        }

        /// A server error as a line for the operator; any other error as it is.
        private static func failure(_ error: any Error, rebuilding projection: String) -> any Error {
            guard let error = error as? PostgresError else { return error }
            if error.sqlState == PostgresError.Code.undefinedTable {
                return AdminFailure("the database has no Chronicle schema yet; run `chronicle-admin migrate`")
            }
            return AdminFailure("rebuild of '\(projection)' failed: \(error)")
        }
    }
}

/// A progress bar on a terminal; plain lines (at most one every 2 s per
/// projection) otherwise. Rebuilds running side by side share it.
final class ProgressDisplay: Sendable {
    let terminal: Bool
    private let lastLines = Mutex<[String: ContinuousClock.Instant]>([:])

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ progress: RebuildProgress) {
        // Printed under the lock, so lines of rebuilds side by side stay whole.
        lastLines.withLock { lastLines in
            show(progress, lastLine: &lastLines[progress.projection, default: .now - .seconds(10)])
        }
    }

    private func show(_ progress: RebuildProgress, lastLine: inout ContinuousClock.Instant) {
        let counts = "\(progress.done)/\(progress.total) events"
        let rate = "\(Int(progress.eventsPerSecond)) events/s"
        if progress.swapped {
            if terminal { print("") }
            print("\(progress.projection): swapped in — \(progress.done) events, \(rate)")
            return
        }
        if terminal {
            let width = 30
            let filled = Int(progress.fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            print("\r\(progress.projection) \(bar) \(Int(progress.fraction * 100))% \(counts) \(rate) ETA \(progress.eta)  ",
                  terminator: "")
            fflush(nil)  // all output streams; `stdout` is not concurrency-safe to name
        } else if ContinuousClock.now - lastLine >= .seconds(2) || progress.done == progress.total {
            lastLine = .now
            let resumed = progress.resumed && progress.done == progress.startDone ? " (resuming)" : ""
            print("\(progress.projection): \(counts) (\(Int(progress.fraction * 100))%), \(rate), ETA \(progress.eta)\(resumed)")
            fflush(nil)  // all output streams; `stdout` is not concurrency-safe to name
        }
    }
}
