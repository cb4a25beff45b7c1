public import Foundation
import Synchronization

/// An event store in memory, for tests and for running the domain without a
/// database. Each append is one "transaction" with its own increasing id, so
/// log order equals append order.
public final class InMemoryEventStore: EventStore {
    private struct Storage {
        var events: [RecordedEvent] = []
        var streams: [StreamName: [Int]] = [:]  // indexes into `events`
        var claims: [UniqueClaim: StreamName] = [:]
        var lastTransactionID: UInt64 = 0
    }

    private let storage = Mutex(Storage())
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
    }

    public func readStream(_ stream: StreamName) async throws -> [RecordedEvent] {
        storage.withLock { storage in
            (storage.streams[stream] ?? []).map { storage.events[$0] }
        }
    }

    public func append(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                       metadata: EventMetadata, claims: [UniqueClaim],
                       requiring required: [StreamName]) async throws -> AppendResult {
        let now = clock()
        return try storage.withLock { storage throws(EventStoreError) in
            let actual = storage.streams[stream]?.count ?? 0
            guard expected.accepts(actual) else {
                throw .versionConflict(stream: stream, expected: expected, actual: actual)
            }
            for other in required where storage.streams[other]?.isEmpty ?? true {
                throw .requiredStreamMissing(other)
            }
            for claim in claims {
                if let holder = storage.claims[claim], holder != stream { throw .claimTaken(claim) }
            }
            for claim in claims { storage.claims[claim] = stream }
            storage.lastTransactionID += 1
            var version = actual
            var last = LogPosition.start
            for event in events {
                version += 1
                last = LogPosition(transactionID: storage.lastTransactionID,
                                   globalPosition: Int64(storage.events.count + 1))
                storage.events.append(RecordedEvent(position: last, stream: stream, streamVersion: version,
                                                    event: event, metadata: metadata, recordedAt: now))
                storage.streams[stream, default: []].append(storage.events.count - 1)
            }
            return AppendResult(streamVersion: version, lastPosition: last)
        }
    }

    public func readAll(after position: LogPosition, limit: Int) async throws -> [RecordedEvent] {
        storage.withLock { storage in
            Array(storage.events.lazy.filter { $0.position > position }.prefix(limit))
        }
    }
}
