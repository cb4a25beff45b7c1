public import EventSourcing
import Foundation
import Wire
import UUIDKit

/// The feed's wire form (API.md "Event feed"), written straight into bytes:
/// an event's `data` is already JSON (PostgreSQL's text of the jsonb), so it
/// is copied, not decoded and encoded again. Keys are sorted, as in every
/// answer of ours.
public enum FeedJSON {
    /// `{"cursor", "data", "event_schema_version", "event_type",
    /// "global_position", "metadata", "recorded_at", "stream_id",
    /// "stream_type", "stream_version"}`.
    public static func write(_ event: RecordedEvent, to output: inout [UInt8]) {
        func key(_ name: String) {
            JSONValue.writeString(name, to: &output)
            output.append(UInt8(ascii: ":"))
        }
        func comma() { output.append(UInt8(ascii: ",")) }
        output.append(UInt8(ascii: "{"))
        key("cursor"); JSONValue.writeString(FeedCursor(event.position).description, to: &output); comma()
        key("data"); output.append(contentsOf: event.event.data); comma()
        key("event_schema_version"); output.append(contentsOf: String(event.event.schemaVersion).utf8); comma()
        key("event_type"); JSONValue.writeString(event.event.type, to: &output); comma()
        key("global_position"); output.append(contentsOf: String(event.position.globalPosition).utf8); comma()
        key("metadata")
        output.append(UInt8(ascii: "{"))
        key("causation_id"); JSONValue.writeString(event.metadata.causationID, to: &output); comma()
        key("command_id"); JSONValue.writeString(event.metadata.commandID.lowercasedString, to: &output); comma()
        key("correlation_id"); JSONValue.writeString(event.metadata.correlationID, to: &output)
        output.append(UInt8(ascii: "}")); comma()
        key("recorded_at"); JSONValue.writeString(Timestamp.format(event.recordedAt), to: &output); comma()
        key("stream_id"); JSONValue.writeString(event.stream.id.lowercasedString, to: &output); comma()
        key("stream_type"); JSONValue.writeString(event.stream.type, to: &output); comma()
        key("stream_version"); output.append(contentsOf: String(event.streamVersion).utf8)
        output.append(UInt8(ascii: "}"))
    }

    /// `{"events": [...], "next": "<cursor>"}`.
    public static func page(_ page: FeedPage) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(page.events.count * 512 + 64)
        output.append(contentsOf: #"{"events":["#.utf8)
        for (index, event) in page.events.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            write(event, to: &output)
        }
        output.append(contentsOf: #"],"next":"#.utf8)
        JSONValue.writeString(page.next.description, to: &output)
        output.append(UInt8(ascii: "}"))
        return output
    }
}
