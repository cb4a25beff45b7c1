/// Turns one decider's events into their stored shape and back. Decoding goes
/// through the upcaster, so `decode` always yields the current event shape.
public struct EventCodec<Event>: Sendable {
    public let encode: @Sendable (Event) throws -> EncodedEvent
    public let decode: @Sendable (EncodedEvent) throws -> Event

    public init(encode: @escaping @Sendable (Event) throws -> EncodedEvent,
                decode: @escaping @Sendable (EncodedEvent) throws -> Event) {
        self.encode = encode
        self.decode = decode
    }
}

/// Rewrites stored event data written under an older schema version into the
/// current one, one version step at a time, before it is decoded.
public struct Upcaster: Sendable {
    public typealias Step = @Sendable ([UInt8]) throws -> [UInt8]

    private var steps: [StepKey: Step] = [:]

    private struct StepKey: Hashable {
        var type: String
        var fromVersion: Int
    }

    public init() {}

    /// Registers how `type` data at `fromVersion` becomes `fromVersion + 1`.
    public func adding(_ type: String, from fromVersion: Int, _ step: @escaping Step) -> Upcaster {
        var copy = self
        copy.steps[StepKey(type: type, fromVersion: fromVersion)] = step
        return copy
    }

    /// Applies every registered step from the event's version up to
    /// `currentVersion`; fails if a step is missing or the event is newer.
    public func upcast(_ event: EncodedEvent, to currentVersion: Int) throws -> EncodedEvent {
        var event = event
        while event.schemaVersion < currentVersion {
            guard let step = steps[StepKey(type: event.type, fromVersion: event.schemaVersion)] else {
                throw UpcastError.noStep(type: event.type, fromVersion: event.schemaVersion)
            }
            event.data = try step(event.data)
            event.schemaVersion += 1
        }
        guard event.schemaVersion == currentVersion else {
            throw UpcastError.newerThanKnown(type: event.type, version: event.schemaVersion, known: currentVersion)
        }
        return event
    }
}

public enum UpcastError: Error, Equatable, Sendable {
    case noStep(type: String, fromVersion: Int)
    case newerThanKnown(type: String, version: Int, known: Int)
}
