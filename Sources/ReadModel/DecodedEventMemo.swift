public import EventSourcing
import Synchronization

/// The events the projections of a process decoded last, shared by them
/// all. Several projections often handle the same event type (three views
/// fed by one event), and a profile of the projector put decoding at
/// 15–20 % of its CPU, paid once per projection for the same bytes.
///
/// Keyed by log position and decoded type; an entry serves only a request
/// for the very same stored event (type, version and bytes compared), so
/// several logs in one process, whose positions overlap, cannot mix.
/// Decoding is a pure function of those, which makes the value reusable.
/// Two generations of `capacity` entries bound it: when the newer fills up,
/// the older is dropped. Runners of one process stay within a few batches
/// of each other, so a few thousand entries catch most repeats.
final class DecodedEventMemo: Sendable {
    static let shared = DecodedEventMemo(capacity: 1024)

    private struct Key: Hashable {
        let position: LogPosition
        let type: ObjectIdentifier
    }

    private struct Entry {
        let event: EncodedEvent
        let value: any Sendable
    }

    private struct State {
        var newer: [Key: Entry] = [:]
        var older: [Key: Entry] = [:]
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// `decode(recorded.event)`, or the value it gave before for this event.
    func value<Event: Sendable>(of recorded: RecordedEvent, as _: Event.Type,
                                decode: (EncodedEvent) throws -> Event) throws -> Event {
        let key = Key(position: recorded.position, type: ObjectIdentifier(Event.self))
        let kept = state.withLock { state -> (any Sendable)? in
            guard let entry = state.newer[key] ?? state.older[key], entry.event == recorded.event else { return nil }
            return entry.value
        }
        if let kept = kept as? Event { return kept }
        let value = try decode(recorded.event)
        state.withLock { state in
            if state.newer.count >= capacity {
                state.older = state.newer
                state.newer = [:]
            }
            state.newer[key] = Entry(event: recorded.event, value: value)
        }
        return value
    }
}
