/// Why the runner gave up on a command without appending anything. Rejections
/// of the decider itself are rethrown unchanged.
public enum CommandRunError: Error, Equatable, Sendable {
    /// `If-Match` named a version the stream is not at.
    case preconditionFailed(expected: Int, actual: Int)
    /// Every attempt met a concurrent append to the same stream.
    case conflictRetriesExhausted(attempts: Int)
    /// A unique value (an email, say) is held by another stream.
    case claimTaken(UniqueClaim)
    /// A stream the command's events refer to (`requiring`) has no events.
    case requiredStreamMissing(StreamName)
}

/// What a successful command did.
public struct CommandOutcome<Event: Sendable>: Sendable {
    /// The events appended (empty when the decider decided nothing).
    public var events: [Event]
    /// The stream's version after the command.
    public var streamVersion: Int
    /// The log position of the command's last event, or of the stream's last
    /// event when nothing was appended; what a consistency token names.
    public var position: LogPosition
}

/// Runs one command against one stream: load, fold, decide, append.
///
/// Without a precondition a version conflict means another writer appended
/// between our read and our append; the runner then reloads and decides again,
/// at most `maxAttempts` times, because the decision may differ on the newer
/// state. With `ifMatch` the caller pinned the version it saw, so a conflict is
/// reported, never retried.
public struct CommandRunner<D: Decider>: Sendable {
    public let store: any EventStore
    public let codec: EventCodec<D.Event>
    public let maxAttempts: Int

    public init(store: any EventStore, codec: EventCodec<D.Event>, maxAttempts: Int = 5) {
        self.store = store
        self.codec = codec
        self.maxAttempts = max(1, maxAttempts)
    }

    /// The current state of `stream`, its version and its last position.
    public func load(_ stream: StreamName) async throws -> (state: D.State, version: Int, position: LogPosition) {
        let recorded = try await store.readStream(stream)
        let events = try recorded.map { try codec.decode($0.event) }
        return (D.fold(events), recorded.last?.streamVersion ?? 0, recorded.last?.position ?? .start)
    }

    /// - Parameter streamIsNew: the caller has just generated the stream's id
    ///   (a random UUID), so there is nothing to read: the first attempt
    ///   decides on the initial state without a round trip, and its expected
    ///   version 0 still turns an existing stream into an ordinary conflict,
    ///   retried on what was read.
    public func run(
        _ command: D.Command,
        on stream: StreamName,
        streamIsNew: Bool = false,
        ifMatch: Int? = nil,
        metadata: EventMetadata,
        claims: @Sendable ([D.Event]) -> [UniqueClaim] = { _ in [] },
        requiring required: [StreamName] = []
    ) async throws -> CommandOutcome<D.Event> {
        for attempt in 1...maxAttempts {
            let (state, version, position) = attempt == 1 && streamIsNew
                ? (D.initialState, 0, LogPosition.start)
                : try await load(stream)
            if let ifMatch, ifMatch != version {
                throw CommandRunError.preconditionFailed(expected: ifMatch, actual: version)
            }
            let events = try D.decide(command, state)
            guard !events.isEmpty else {
                return CommandOutcome(events: [], streamVersion: version, position: position)
            }
            do {
                let result = try await store.append(
                    try events.map(codec.encode), to: stream, expecting: .exactly(version),
                    metadata: metadata, claims: claims(events), requiring: required)
                return CommandOutcome(events: events, streamVersion: result.streamVersion,
                                      position: result.lastPosition)
            } catch EventStoreError.versionConflict(_, _, let actual) {
                if let ifMatch { throw CommandRunError.preconditionFailed(expected: ifMatch, actual: actual) }
                continue
            } catch EventStoreError.claimTaken(let claim) {
                throw CommandRunError.claimTaken(claim)
            } catch EventStoreError.requiredStreamMissing(let missing) {
                throw CommandRunError.requiredStreamMissing(missing)
            }
        }
        throw CommandRunError.conflictRetriesExhausted(attempts: maxAttempts)
    }
}
