import EventSourcing
import Foundation
@testable import ReadModel
import Synchronization
import TestSupport
import Testing

@Suite("Decoded events shared by the projections of a process")
struct DecodedEventMemoTests {
    /// Counts the decodes it runs; yields the event's bytes as a string.
    final class CountingDecoder: Sendable {
        private let calls = Mutex(0)
        var count: Int { calls.withLock { $0 } }
        func decode(_ event: EncodedEvent) throws -> String {
            calls.withLock { $0 += 1 }
            return String(decoding: event.data, as: UTF8.self)
        }
    }

    static func log(_ payloads: String...) -> [RecordedEvent] {
        var log = TestEventLog()
        for payload in payloads {
            log.append(EncodedEvent(type: "thing.happened", schemaVersion: 1, data: Array(payload.utf8)),
                       to: StreamName(type: "thing", id: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!))
        }
        return log.events
    }

    @Test func anEventIsDecodedOnceForEveryoneWhoAsks() throws {
        let memo = DecodedEventMemo(capacity: 16)
        let decoder = CountingDecoder()
        let event = Self.log("first")[0]
        for _ in 0..<3 { #expect(try memo.value(of: event, as: String.self, decode: decoder.decode) == "first") }
        #expect(decoder.count == 1)
    }

    /// Two logs in one process (tests, several databases) share positions.
    @Test func theSamePositionInAnotherLogIsDecodedAfresh() throws {
        let memo = DecodedEventMemo(capacity: 16)
        let decoder = CountingDecoder()
        let one = Self.log("in one log")[0], other = Self.log("in another")[0]
        #expect(one.position == other.position)
        #expect(try memo.value(of: one, as: String.self, decode: decoder.decode) == "in one log")
        #expect(try memo.value(of: other, as: String.self, decode: decoder.decode) == "in another")
        #expect(decoder.count == 2)
    }

    @Test func anotherDecodedTypeIsItsOwnEntry() throws {
        let memo = DecodedEventMemo(capacity: 16)
        let event = Self.log("42")[0]
        #expect(try memo.value(of: event, as: String.self) { String(decoding: $0.data, as: UTF8.self) } == "42")
        #expect(try memo.value(of: event, as: Int.self) { Int(String(decoding: $0.data, as: UTF8.self))! } == 42)
    }

    @Test func aFailedDecodeIsNotKept() throws {
        struct Malformed: Error {}
        let memo = DecodedEventMemo(capacity: 16)
        let decoder = CountingDecoder()
        let event = Self.log("bad")[0]
        #expect(throws: Malformed.self) { try memo.value(of: event, as: String.self) { _ in throw Malformed() } }
        #expect(try memo.value(of: event, as: String.self, decode: decoder.decode) == "bad")
        #expect(decoder.count == 1)
    }

    /// Two generations of `capacity`: an entry outlives at least `capacity`
    /// newer ones, and is gone after twice as many.
    @Test func itHoldsAtMostTwoGenerations() throws {
        let memo = DecodedEventMemo(capacity: 2)
        let decoder = CountingDecoder()
        let events = Self.log("a", "b", "c", "d", "e")
        for event in events[0..<3] { _ = try memo.value(of: event, as: String.self, decode: decoder.decode) }
        _ = try memo.value(of: events[0], as: String.self, decode: decoder.decode)
        #expect(decoder.count == 3, "still held after one generation")
        for event in events[3..<5] { _ = try memo.value(of: event, as: String.self, decode: decoder.decode) }
        _ = try memo.value(of: events[1], as: String.self, decode: decoder.decode)
        #expect(decoder.count == 6, "dropped after two generations")
    }
}
