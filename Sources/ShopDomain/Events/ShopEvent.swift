public import EventSourcing
public import Foundation
import Wire

/// Any event of the shop, with the id of the stream it belongs to: what the
/// projector reads from the log, where customers and orders interleave.
public enum ShopEvent: Equatable, Sendable {
    case customer(CustomerID, Customer.Event)
    case order(OrderID, Order.Event)

    /// Decodes (and upcasts) one stored event of the stream `streamType`/`streamID`.
    /// Throws `EventDecodingError` for an unknown stream or event type or
    /// malformed data, and `UpcastError` for a schema version with no way to
    /// the current one.
    public static func decode(streamType: String, streamID: UUID, event: EncodedEvent) throws -> ShopEvent {
        switch streamType {
        case Customer.streamType: .customer(CustomerID(streamID), try Customer.codec.decode(event))
        case Order.streamType: .order(OrderID(streamID), try Order.codec.decode(event))
        default: throw EventDecodingError.unknownStreamType(streamType)
        }
    }

    /// Decodes an event as read back from a store.
    public static func decode(_ recorded: RecordedEvent) throws -> ShopEvent {
        try decode(streamType: recorded.stream.type, streamID: recorded.stream.id, event: recorded.event)
    }

    /// When the event happened (the command's time).
    public var at: Date {
        switch self {
        case .customer(_, let event): event.at
        case .order(_, let event): event.at
        }
    }
}
