import Foundation

/// What the writer believes about a stream's version when it appends.
public enum ExpectedVersion: Sendable, Equatable, CustomStringConvertible {
    /// Append whatever the stream holds (no concurrency check).
    case any
    /// The stream must be at exactly this version; 0 means "has no events".
    case exactly(Int)

    public static let noStream = ExpectedVersion.exactly(0)

    public func accepts(_ actual: Int) -> Bool {
        switch self {
        case .any: true
        case .exactly(let version): version == actual
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .exactly(let version): "\(version)"
        }
    }
}

/// A value that must be unique within a scope across all streams, claimed in
/// the same transaction as the events (for example an account's email,
/// compared case-insensitively, so `value` is already normalised).
public struct UniqueClaim: Hashable, Sendable {
    public var scope: String
    public var value: String

    public init(scope: String, value: String) {
        self.scope = scope
        self.value = value
    }
}

/// What an append wrote.
public struct AppendResult: Sendable, Equatable {
    /// The stream's version after the append.
    public var streamVersion: Int
    /// The position of the last event written; it sorts after every other
    /// event of the same append.
    public var lastPosition: LogPosition

    public init(streamVersion: Int, lastPosition: LogPosition) {
        self.streamVersion = streamVersion
        self.lastPosition = lastPosition
    }
}

public enum EventStoreError: Error, Equatable, Sendable {
    /// The stream was not at the expected version; nothing was appended.
    case versionConflict(stream: StreamName, expected: ExpectedVersion, actual: Int)
    /// A unique claim is held by another stream; nothing was appended.
    case claimTaken(UniqueClaim)
    /// A stream the append required to exist holds no event; nothing was
    /// appended.
    case requiredStreamMissing(StreamName)
}

/// The port every event store implements; one contract test suite runs
/// against each implementation.
public protocol EventStore: Sendable {
    /// Every event of one stream, in version order (empty if it has none).
    func readStream(_ stream: StreamName) async throws -> [RecordedEvent]

    /// Appends `events` to `stream` atomically, if the stream is at
    /// `expected`, every claim is free (or already held by this stream) and
    /// every stream in `required` holds at least one event. `required` is
    /// how events that refer to another aggregate (a member to the group it
    /// joins) check that it exists in the append itself, instead of a
    /// read of that stream first.
    func append(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                metadata: EventMetadata, claims: [UniqueClaim], requiring required: [StreamName]) async throws
        -> AppendResult

    /// Up to `limit` committed events after `position`, in log order.
    func readAll(after position: LogPosition, limit: Int) async throws -> [RecordedEvent]
}

extension EventStore {
    public func append(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                       metadata: EventMetadata, claims: [UniqueClaim] = []) async throws -> AppendResult {
        try await append(events, to: stream, expecting: expected, metadata: metadata, claims: claims, requiring: [])
    }
}
