import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import TestSupport
import Testing

/// Every event store must pass these, in memory and on PostgreSQL.
enum StoreUnderTest: String, CaseIterable, CustomStringConvertible {
    case inMemory, postgres

    var description: String { rawValue }

    func with(_ body: (any EventStore) async throws -> Void) async throws {
        switch self {
        case .inMemory:
            try await body(InMemoryEventStore())
        case .postgres:
            try await TestDatabase.withMigrated { database in
                try await database.withPool(maxConnections: 40) { pool in
                    try await body(PostgresEventStore(pool: pool))
                }
            }
        }
    }
}

@Suite("Event store contract")
struct EventStoreContractTests {
    let metadata = EventMetadata(commandID: UUID(), correlationID: "request-1", causationID: "cause-1")

    func event(_ n: Int, type: String = "test.happened") -> EncodedEvent {
        EncodedEvent(type: type, schemaVersion: 1, data: Array("{\"n\":\(n)}".utf8))
    }

    /// Stores may normalise JSON (jsonb drops insignificant whitespace): compare content.
    struct Payload: Decodable, Equatable { var n: Int }
    func payloads(_ events: [RecordedEvent]) throws -> [Int] {
        try events.map {
            #expect($0.event.type == "test.happened" && $0.event.schemaVersion == 1)
            return try JSONDecoder().decode(Payload.self, from: Data($0.event.data)).n
        }
    }

    func stream() -> StreamName { StreamName(type: "test", id: UUID()) }

    @Test(arguments: StoreUnderTest.allCases)
    func appendThenReadBack(_ store: StoreUnderTest) async throws {
        try await store.with { store in
            let name = stream()
            #expect(try await store.readStream(name).isEmpty)
            let first = try await store.append([event(1), event(2)], to: name, expecting: .noStream, metadata: metadata)
            #expect(first.streamVersion == 2)
            let second = try await store.append([event(3)], to: name, expecting: .exactly(2), metadata: metadata)
            #expect(second.streamVersion == 3)
            #expect(second.lastPosition > first.lastPosition)
            let events = try await store.readStream(name)
            #expect(events.map(\.streamVersion) == [1, 2, 3])
            #expect(try payloads(events) == [1, 2, 3])
            #expect(events.allSatisfy { $0.metadata == metadata && $0.stream == name })
            #expect(events.last?.position == second.lastPosition)
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func staleOrAheadExpectedVersionIsAConflictAndAppendsNothing(_ store: StoreUnderTest) async throws {
        try await store.with { store in
            let name = stream()
            _ = try await store.append([event(1)], to: name, expecting: .noStream, metadata: metadata)
            for expected in [ExpectedVersion.noStream, .exactly(2), .exactly(7)] {
                await #expect(throws: EventStoreError.versionConflict(stream: name, expected: expected, actual: 1)) {
                    try await store.append([event(9)], to: name, expecting: expected, metadata: metadata)
                }
            }
            #expect(try await store.readStream(name).count == 1)
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func thirtyTwoConcurrentAppendsToOneStreamStayContiguous(_ store: StoreUnderTest) async throws {
        try await store.with { store in
            let name = stream()
            // Each writer retries on conflict, as the command runner does.
            let successes = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<32 {
                    group.addTask {
                        while true {
                            let current = try await store.readStream(name).count
                            do {
                                return try await store.append([event(writer)], to: name, expecting: .exactly(current),
                                                              metadata: metadata).streamVersion
                            } catch EventStoreError.versionConflict {
                                continue
                            }
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(successes.sorted() == Array(1...32))
            let events = try await store.readStream(name)
            #expect(events.map(\.streamVersion) == Array(1...32))
            #expect(Set(try payloads(events)) == Set(0..<32))
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func readAllIsInLogOrderAndPages(_ store: StoreUnderTest) async throws {
        try await store.with { store in
            let a = stream(), b = stream()
            _ = try await store.append([event(1)], to: a, expecting: .noStream, metadata: metadata)
            _ = try await store.append([event(2), event(3)], to: b, expecting: .noStream, metadata: metadata)
            _ = try await store.append([event(4)], to: a, expecting: .exactly(1), metadata: metadata)
            var read: [RecordedEvent] = []
            var position = LogPosition.start
            // PostgreSQL holds back events until every older transaction on
            // the server has ended (other tests' included): keep reading.
            let deadline = ContinuousClock.now + .seconds(10)
            while read.count < 4, ContinuousClock.now < deadline {
                let page = try await store.readAll(after: position, limit: 2)
                if page.isEmpty { try await Task.sleep(for: .milliseconds(20)); continue }
                read += page
                position = page.last!.position
            }
            #expect(try await store.readAll(after: position, limit: 2).isEmpty)
            #expect(try payloads(read) == [1, 2, 3, 4])
            #expect(zip(read, read.dropFirst()).allSatisfy { $0.position < $1.position })
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func uniqueClaimIsHeldByOneStream(_ store: StoreUnderTest) async throws {
        try await store.with { store in
            let claim = UniqueClaim(scope: "customer-email", value: "ada@example.com")
            let first = stream(), second = stream()
            _ = try await store.append([event(1)], to: first, expecting: .noStream, metadata: metadata, claims: [claim])
            await #expect(throws: EventStoreError.claimTaken(claim)) {
                try await store.append([event(2)], to: second, expecting: .noStream, metadata: metadata, claims: [claim])
            }
            #expect(try await store.readStream(second).isEmpty)
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func anAppendRequiringAStreamWithoutEventsAppendsNothing(_ store: StoreUnderTest) async throws {
        try await store.with { store in
            let referenced = stream(), referring = stream()
            // The refused appends' claim must be left free, as their events are.
            let claim = UniqueClaim(scope: "test-name", value: UUID().uuidString)
            for expected in [ExpectedVersion.noStream, .any] {
                await #expect(throws: EventStoreError.requiredStreamMissing(referenced)) {
                    try await store.append([event(1)], to: referring, expecting: expected, metadata: metadata,
                                           claims: [claim], requiring: [referenced])
                }
                #expect(try await store.readStream(referring).isEmpty, "expecting \(expected)")
            }

            _ = try await store.append([event(2)], to: referenced, expecting: .noStream, metadata: metadata)
            let appended = try await store.append([event(3)], to: referring, expecting: .noStream, metadata: metadata,
                                                  claims: [claim], requiring: [referenced])
            #expect(appended.streamVersion == 1)
            #expect(try payloads(try await store.readStream(referring)) == [3])
        }
    }

    @Test func concurrentClaimsOnPostgresGiveOneWinner() async throws {
        try await StoreUnderTest.postgres.with { store in
            let claim = UniqueClaim(scope: "customer-email", value: "race@example.com")
            let outcomes = await withTaskGroup(of: Result<AppendResult, any Error>.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        await Result(catching: { try await store.append([event(1)], to: stream(), expecting: .noStream,
                                                              metadata: metadata, claims: [claim]) })
                    }
                }
                return await group.reduce(into: [Result<AppendResult, any Error>]()) { $0.append($1) }
            }
            #expect(outcomes.filter { (try? $0.get()) != nil }.count == 1)
            // Every other writer lost the claim: that error and no other (a
            // lost connection or a version conflict would be a bug here).
            let failures = outcomes.compactMap { outcome -> String? in
                guard case .failure(let error) = outcome else { return nil }
                return error as? EventStoreError == .claimTaken(claim) ? nil : String(reflecting: error)
            }
            #expect(failures.isEmpty, "errors other than claimTaken: \(failures)")
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
