public import ArgumentParser
import Dispatch
import EventFeed
import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
#if canImport(Glibc)
import Glibc
#endif

extension AdminCommand {
    /// `chronicle-admin tail`: the event feed on standard output, one JSON
    /// object per line (the objects of `GET /events`), live until Ctrl-C.
    /// It reads the database directly, by the same code as the query
    /// service's feed, and wakes on the same notifications.
    public struct Tail: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Print the event feed as one JSON object per line, live until Ctrl-C.",
            discussion: "Each line is an event as GET /events answers it; its cursor resumes the feed (--after).")

        @OptionGroup var options: AdminOptions

        @Option(help: "Start after this cursor (an event's cursor, or a page's next); default: from the first event")
        var after: String?

        @Option(name: .customLong("stream-type"), help: "Only events of this stream type (repeat for several)")
        var streamTypes: [String] = []

        @Option(name: .customLong("event-type"), help: "Only events of this event type (repeat for several)")
        var eventTypes: [String] = []

        public init() {}

        /// A live tail looks without a notification this often.
        static let pollInterval: Duration = .seconds(1)

        public func run() async throws {
            let start = try cursor()
            let filter = try filter()
            let pool = ConnectionPool(conninfo: options.conninfo, maxConnections: 1)
            defer { Task { await pool.close() } }
            do {
                _ = try await pool.withConnection { try await EventLog.head(on: $0) }
            } catch let error as PostgresError {
                throw AdminFailure(error.sqlState == PostgresError.Code.undefinedTable
                    ? "the database has no Chronicle schema yet; run `chronicle-admin migrate`"
                    : "cannot read the event log: \(error.message)")
            }
            let stop = FeedSignal(), commits = FeedSignal()
            let interrupts = Self.ringing(stop, on: [SIGINT, SIGTERM])
            let listener = Listener(conninfo: options.conninfo,
                                    channels: [CommitNotifier.eventsChannel, CommitNotifier.projectionsChannel])
            let listening = Task {
                for await _ in listener { commits.ring() }
            }
            defer {
                listening.cancel()
                interrupts.forEach { $0.cancel() }
            }
            let follower = FeedFollower(pool: pool, commits: commits, pollInterval: Self.pollInterval, pageSize: 1000)
            do {
                try await follower.follow(after: start, filter: filter, until: stop) { page in
                    var lines: [UInt8] = []
                    for event in page.events {
                        FeedJSON.write(event, to: &lines)
                        lines.append(UInt8(ascii: "\n"))
                    }
                    try Self.writeToStandardOutput(lines)
                }
            } catch let error as PostgresError {
                throw AdminFailure("the event log could not be read: \(error.message)")
            }
        }

        func cursor() throws -> FeedCursor {
            guard let after else { return .start }
            guard let cursor = FeedCursor(after) else {
                throw AdminFailure("--after '\(after)' is not a feed cursor (an event's cursor, or a page's next)")
            }
            return cursor
        }

        func filter() throws -> EventFilter {
            let vocabulary = AdminCommand.vocabulary
            switch vocabulary.filter(streamTypes: streamTypes, eventTypes: eventTypes) {
            case .success(let filter):
                return filter
            case .failure(let unknown):
                var problems: [String] = []
                if !unknown.streamTypes.isEmpty {
                    problems.append("unknown stream type \(unknown.streamTypes.map { "'\($0)'" }.joined(separator: ", ")) "
                                    + "(known: \(vocabulary.streamTypes.sorted().joined(separator: ", ")))")
                }
                if !unknown.eventTypes.isEmpty {
                    problems.append("unknown event type \(unknown.eventTypes.map { "'\($0)'" }.joined(separator: ", ")) "
                                    + "(known: \(vocabulary.eventTypes.sorted().joined(separator: ", ")))")
                }
                throw AdminFailure(problems.joined(separator: "; "))
            }
        }

        /// Rings `stop` on any of `signals` instead of the default (which
        /// would end the process mid-line): the tail ends after the page in
        /// hand, and exits 0.
        static func ringing(_ stop: FeedSignal, on signals: [Int32]) -> [any DispatchSourceSignal] {
            signals.map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number)
                source.setEventHandler { stop.ring() }
                source.resume()
                return source
            }
        }

        /// Writes all of `bytes`; a reader that went away (a closed pipe)
        /// ends the process as for any filter.
        static func writeToStandardOutput(_ bytes: [UInt8]) throws {
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw AdminFailure("cannot write to standard output (errno \(errno))") }
                written += count
            }
        }
    }
}
