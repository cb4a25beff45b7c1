import EventSourcing
import Foundation
import PostgresEventStore
import Synchronization
import TestSupport
import Testing

/// A counter that only goes up: the smallest decider with a rule, so the
/// runner's behaviour can be tested without the shop's domain.
private enum Tally: Decider {
    enum Command: Sendable, Equatable {
        case add(Int)
        /// Adds `amount` only if the tally is still below `limit`: a decision
        /// that depends on the state, so a retry after a conflict can differ.
        case addBelow(limit: Int, amount: Int)
        case claim(String)
        case nothing
    }

    enum Event: Sendable, Equatable {
        case added(Int)
        case claimed(String)
    }

    enum Rejection: Error, Equatable {
        case notPositive
        case limitReached(total: Int)
    }

    static let initialState = 0

    static func decide(_ command: Command, _ state: Int) throws(Rejection) -> [Event] {
        switch command {
        case .add(let amount):
            guard amount > 0 else { throw .notPositive }
            return [.added(amount)]
        case let .addBelow(limit, amount):
            guard state < limit else { throw .limitReached(total: state) }
            return [.added(amount)]
        case .claim(let value):
            return [.claimed(value)]
        case .nothing:
            return []
        }
    }

    static func evolve(_ state: Int, _ event: Event) -> Int {
        switch event {
        case .added(let amount): state + amount
        case .claimed: state
        }
    }

    struct UnknownType: Error {}

    static let codec = EventCodec<Event>(
        encode: { event in
            switch event {
            case .added(let amount): EncodedEvent(type: "tally.added", schemaVersion: 1, data: Array("\(amount)".utf8))
            case .claimed(let value): EncodedEvent(type: "tally.claimed", schemaVersion: 1, data: Array(value.utf8))
            }
        },
        decode: { encoded in
            let text = String(decoding: encoded.data, as: UTF8.self)
            switch encoded.type {
            case "tally.added": return .added(Int(text)!)
            case "tally.claimed": return .claimed(text)
            default: throw UnknownType()
            }
        })

    static func claims(_ events: [Event]) -> [UniqueClaim] {
        events.compactMap { event in
            guard case .claimed(let value) = event else { return nil }
            return UniqueClaim(scope: "tally-name", value: value)
        }
    }
}

/// Wraps a store and, before each of the next `count` appends, lets another
/// writer append `.added(1)` to the same stream first: the race the runner
/// must survive.
private final class InterferingStore: EventStore {
    let inner = InMemoryEventStore()
    private let remaining: Mutex<Int>
    private let appendCalls = Mutex(0)
    private let readCalls = Mutex(0)

    init(interferences count: Int) {
        remaining = Mutex(count)
    }

    var appendsAttempted: Int { appendCalls.withLock { $0 } }
    var readsMade: Int { readCalls.withLock { $0 } }

    func readStream(_ stream: StreamName) async throws -> [RecordedEvent] {
        readCalls.withLock { $0 += 1 }
        return try await inner.readStream(stream)
    }

    func append(_ events: [EncodedEvent], to stream: StreamName, expecting expected: ExpectedVersion,
                metadata: EventMetadata, claims: [UniqueClaim], requiring required: [StreamName]) async throws
        -> AppendResult {
        appendCalls.withLock { $0 += 1 }
        let interfere = remaining.withLock { remaining in
            defer { remaining = max(0, remaining - 1) }
            return remaining > 0
        }
        if interfere {
            _ = try await inner.append([try Tally.codec.encode(.added(1))], to: stream, expecting: .any,
                                       metadata: metadata, claims: [])
        }
        return try await inner.append(events, to: stream, expecting: expected, metadata: metadata, claims: claims,
                                      requiring: required)
    }

    func readAll(after position: LogPosition, limit: Int) async throws -> [RecordedEvent] {
        try await inner.readAll(after: position, limit: limit)
    }
}

@Suite("CommandRunner")
struct CommandRunnerTests {
    let stream = StreamName(type: "tally", id: UUID(uuidString: "11111111-2222-4333-8444-555555555555")!)
    let metadata = EventMetadata(commandID: UUID(uuidString: "99999999-2222-4333-8444-555555555555")!,
                                 correlationID: "corr-1", causationID: "cause-1")

    private func events(in store: some EventStore, _ stream: StreamName) async throws -> [Tally.Event] {
        try await store.readStream(stream).map { try Tally.codec.decode($0.event) }
    }

    @Test func appendsTheDecidedEvents() async throws {
        let store = InMemoryEventStore()
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        let first = try await runner.run(.add(2), on: stream, metadata: metadata)
        let second = try await runner.run(.add(3), on: stream, metadata: metadata)
        #expect(first.events == [.added(2)])
        #expect(first.streamVersion == 1)
        #expect(second.streamVersion == 2)
        #expect(second.position > first.position)
        #expect(try await events(in: store, stream) == [.added(2), .added(3)])
        let recorded = try await store.readStream(stream)
        #expect(recorded.map(\.metadata) == [metadata, metadata])
        #expect(recorded.last?.position == second.position)
        let loaded = try await runner.load(stream)
        #expect(loaded.state == 5)
        #expect(loaded.version == 2)
        #expect(loaded.position == second.position)
    }

    @Test func aRejectionIsRethrownAndAppendsNothing() async throws {
        let store = InMemoryEventStore()
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        await #expect(throws: Tally.Rejection.notPositive) {
            try await runner.run(.add(0), on: stream, metadata: metadata)
        }
        #expect(try await store.readAll(after: .start, limit: 10).isEmpty)
    }

    @Test func decidingNothingAppendsNothing() async throws {
        let store = InMemoryEventStore()
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        let placed = try await runner.run(.add(1), on: stream, metadata: metadata)
        let outcome = try await runner.run(.nothing, on: stream, metadata: metadata)
        #expect(outcome.events.isEmpty)
        #expect(outcome.streamVersion == 1)
        #expect(outcome.position == placed.position)
        #expect(try await store.readAll(after: .start, limit: 10).count == 1)
    }

    @Test func ifMatchAtTheCurrentVersionRuns() async throws {
        let runner = CommandRunner<Tally>(store: InMemoryEventStore(), codec: Tally.codec)
        _ = try await runner.run(.add(1), on: stream, metadata: metadata)
        let outcome = try await runner.run(.add(1), on: stream, ifMatch: 1, metadata: metadata)
        #expect(outcome.streamVersion == 2)
    }

    @Test(arguments: [0, 2, 7])
    func ifMatchAtAnotherVersionFailsThePrecondition(_ ifMatch: Int) async throws {
        let store = InMemoryEventStore()
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        _ = try await runner.run(.add(1), on: stream, metadata: metadata)
        await #expect(throws: CommandRunError.preconditionFailed(expected: ifMatch, actual: 1)) {
            try await runner.run(.add(1), on: stream, ifMatch: ifMatch, metadata: metadata)
        }
        #expect(try await events(in: store, stream) == [.added(1)])
    }

    @Test func aConcurrentAppendIsRetriedOnTheNewState() async throws {
        let store = InterferingStore(interferences: 1)
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        let outcome = try await runner.run(.add(5), on: stream, metadata: metadata)
        #expect(outcome.events == [.added(5)])
        #expect(outcome.streamVersion == 2)
        #expect(store.appendsAttempted == 2)
        #expect(try await events(in: store, stream) == [.added(1), .added(5)])
    }

    @Test func aNewStreamIsDecidedWithoutReadingIt() async throws {
        let store = InterferingStore(interferences: 0)
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        let outcome = try await runner.run(.add(4), on: stream, streamIsNew: true, metadata: metadata)
        #expect(outcome.streamVersion == 1)
        #expect(store.readsMade == 0)
        #expect(try await events(in: store, stream) == [.added(4)])
    }

    @Test func aStreamWronglyTakenForNewIsReadAndDecidedAgain() async throws {
        // The first attempt decides on the initial state (0 < limit 1 passes);
        // the stream already holds 1, so the append conflicts, and the retry
        // decides on what it read.
        let store = InterferingStore(interferences: 0)
        _ = try await CommandRunner<Tally>(store: store, codec: Tally.codec).run(.add(1), on: stream, metadata: metadata)
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        await #expect(throws: Tally.Rejection.limitReached(total: 1)) {
            try await runner.run(.addBelow(limit: 1, amount: 5), on: stream, streamIsNew: true, metadata: metadata)
        }
        #expect(try await events(in: store, stream) == [.added(1)])
    }

    @Test func theRetryDecidesAgain() async throws {
        // The competing append takes the tally to its limit, so the retried
        // decision is a rejection, not a replay of the first one.
        let store = InterferingStore(interferences: 1)
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        await #expect(throws: Tally.Rejection.limitReached(total: 1)) {
            try await runner.run(.addBelow(limit: 1, amount: 5), on: stream, metadata: metadata)
        }
        #expect(try await events(in: store, stream) == [.added(1)])
    }

    @Test func aConflictUnderIfMatchIsNotRetried() async throws {
        let store = InterferingStore(interferences: 1)
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        await #expect(throws: CommandRunError.preconditionFailed(expected: 0, actual: 1)) {
            try await runner.run(.add(5), on: stream, ifMatch: 0, metadata: metadata)
        }
        #expect(store.appendsAttempted == 1)
        #expect(try await events(in: store, stream) == [.added(1)])
    }

    @Test func retriesAreBounded() async throws {
        let store = InterferingStore(interferences: .max)
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec, maxAttempts: 3)
        await #expect(throws: CommandRunError.conflictRetriesExhausted(attempts: 3)) {
            try await runner.run(.add(5), on: stream, metadata: metadata)
        }
        #expect(store.appendsAttempted == 3)
        #expect(try await events(in: store, stream) == [.added(1), .added(1), .added(1)])
    }

    @Test func atLeastOneAttemptIsMade() async throws {
        let runner = CommandRunner<Tally>(store: InMemoryEventStore(), codec: Tally.codec, maxAttempts: 0)
        #expect(runner.maxAttempts == 1)
        #expect(try await runner.run(.add(1), on: stream, metadata: metadata).streamVersion == 1)
    }

    @Test func aClaimHeldByAnotherStreamIsRefused() async throws {
        let store = InMemoryEventStore()
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec)
        let other = StreamName(type: "tally", id: UUID(uuidString: "22222222-2222-4333-8444-555555555555")!)
        _ = try await runner.run(.claim("alpha"), on: stream, metadata: metadata, claims: Tally.claims)
        await #expect(throws: CommandRunError.claimTaken(UniqueClaim(scope: "tally-name", value: "alpha"))) {
            try await runner.run(.claim("alpha"), on: other, metadata: metadata, claims: Tally.claims)
        }
        #expect(try await store.readStream(other).isEmpty)
        // The holder may claim it again, and others may claim other values.
        #expect(try await runner.run(.claim("alpha"), on: stream, metadata: metadata, claims: Tally.claims).streamVersion == 2)
        #expect(try await runner.run(.claim("beta"), on: other, metadata: metadata, claims: Tally.claims).streamVersion == 1)
    }

    @Test func concurrentRunnersAllSucceedWithContiguousVersions() async throws {
        let store = InMemoryEventStore()
        let runner = CommandRunner<Tally>(store: store, codec: Tally.codec, maxAttempts: 50)
        let metadata = self.metadata
        let stream = self.stream
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask { try await runner.run(.add(1), on: stream, metadata: metadata).streamVersion }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(versions.sorted() == Array(1...20))
        #expect(try await runner.load(stream).state == 20)
    }

    /// Five writers held at their append on PostgreSQL (a gate on `events`)
    /// have all read the same version: one wins the first attempt, and each
    /// other loses at most four races. So a budget of five attempts serves
    /// all five, and one attempt serves exactly one, the others refused with
    /// `conflictRetriesExhausted`. CommandAPITests' concurrency test relies
    /// on this set-up forcing the conflicts.
    @Test(arguments: [(1, 1), (5, 5)])
    func writersHeldAtTheSameAppendOnPostgres(attempts: Int, succeeding: Int) async throws {
        try await TestDatabase.withMigrated { database in
            try await database.withPool(maxConnections: 8) { pool in
                let runner = CommandRunner<Tally>(store: PostgresEventStore(pool: pool), codec: Tally.codec,
                                                  maxAttempts: attempts)
                let stream = StreamName(type: "tally", id: UUID())
                let metadata = self.metadata
                _ = try await runner.run(.add(1), on: stream, metadata: metadata)
                let outcomes = try await TableGate.race(5, writingTo: "events", in: database.conninfo) { _ -> Result<Int, any Error> in
                    do {
                        return .success(try await runner.run(.add(1), on: stream, metadata: metadata).streamVersion)
                    } catch {
                        return .failure(error)
                    }
                }
                let versions = outcomes.compactMap { try? $0.get() }
                #expect(versions.sorted() == Array(2...(1 + succeeding)))
                let refusals = outcomes.compactMap { outcome -> String? in
                    guard case .failure(let error) = outcome else { return nil }
                    return error as? CommandRunError == .conflictRetriesExhausted(attempts: attempts)
                        ? nil : String(reflecting: error)
                }
                #expect(refusals.isEmpty, "errors other than conflictRetriesExhausted: \(refusals)")
                #expect(try await runner.load(stream).version == 1 + succeeding)
            }
        }
    }
}
