public import Foundation

/// Writes an `Encodable` value as the very bytes `WireJSON.encoder` writes
/// (keys sorted by their UTF-8 bytes, `/` unescaped, dates as `Timestamp`
/// strings, data as base64), in a fraction of the time: it keeps no coding
/// path and no dictionary per object, and writes each scalar straight into
/// the bytes of the object or array around it. Every response body, stored
/// event payload and kept idempotent answer goes through it, which made
/// Foundation's generic encoder a tenth of the query service's CPU.
///
/// Floating-point and `Decimal` leaves, rare in our payloads, are written by
/// Foundation itself, so their spelling cannot drift from it.
/// `JSONBytesEncoderTests` holds the two encoders to the same bytes.
public enum JSONBytesEncoder {
    public static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        try Slot.write(value, to: &output)
        return output
    }
}

/// What one value became: its bytes, or containers still being filled.
private final class Slot: Encoder {
    enum Content {
        case empty
        case bytes([UInt8])
        case object(ObjectStorage)
        case array(ArrayStorage)
    }

    var content = Content.empty

    func set(_ bytes: [UInt8]) { content = .bytes(bytes) }

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Encodes `value` and appends its JSON to `output`.
    static func write<Value: Encodable>(_ value: Value, to output: inout [UInt8]) throws {
        if try writeSpecial(value, to: &output) { return }
        let slot = Slot()
        try value.encode(to: slot)
        slot.finish(into: &output)
    }

    /// The types Foundation's encoder treats apart from their `Encodable`
    /// conformance (compared by type, which is cheaper than casting every value).
    private static func writeSpecial<Value: Encodable>(_ value: Value, to output: inout [UInt8]) throws -> Bool {
        if Value.self == String.self {
            JSONValue.writeString(value as! String, to: &output)
        } else if Value.self == Date.self {
            JSONValue.writeString(Timestamp.format(value as! Date), to: &output)
        } else if Value.self == Data.self {
            JSONValue.writeString((value as! Data).base64EncodedString(), to: &output)
        } else if Value.self == URL.self {
            JSONValue.writeString((value as! URL).absoluteString, to: &output)
        } else if Value.self == Decimal.self || Value.self == Double.self || Value.self == Float.self {
            output.append(contentsOf: try WireJSON.encoder.encode(value))
        } else {
            return false
        }
        return true
    }

    func finish(into output: inout [UInt8]) {
        switch content {
        case .empty: output.append(contentsOf: "{}".utf8)  // as Foundation writes a value that encoded nothing
        case .bytes(let bytes): output.append(contentsOf: bytes)
        case .object(let object): object.finish(into: &output)
        case .array(let array): array.finish(into: &output)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let storage: ObjectStorage
        if case .object(let existing) = content {
            storage = existing
        } else {
            storage = ObjectStorage()
            content = .object(storage)
        }
        return KeyedEncodingContainer(ObjectContainer<Key>(storage: storage))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let storage: ArrayStorage
        if case .array(let existing) = content {
            storage = existing
        } else {
            storage = ArrayStorage()
            content = .array(storage)
        }
        return ArrayContainer(storage: storage)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValue(slot: self) }
}

/// A JSON object's members in the order they came; sorted when written.
private final class ObjectStorage {
    enum Member {
        case bytes([UInt8])
        case slot(Slot)
    }

    var members: [(key: String, value: Member)] = []

    func set(_ key: String, _ value: Member) { members.append((key, value)) }

    func finish(into output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        // By key, then in the order encoded: of a key encoded twice the last
        // value is kept, as in Foundation's encoder.
        func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }
        let order = members.indices.sorted { left, right in
            let (a, b) = (members[left].key, members[right].key)
            return same(a, b) ? left < right : a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        var written = 0
        for (rank, index) in order.enumerated() {
            let member = members[index]
            if rank + 1 < order.count, same(members[order[rank + 1]].key, member.key) { continue }
            if written > 0 { output.append(UInt8(ascii: ",")) }
            written += 1
            JSONValue.writeString(member.key, to: &output)
            output.append(UInt8(ascii: ":"))
            switch member.value {
            case .bytes(let bytes): output.append(contentsOf: bytes)
            case .slot(let slot): slot.finish(into: &output)
            }
        }
        output.append(UInt8(ascii: "}"))
    }
}

/// A JSON array's elements; written bytes stay bytes, nested containers
/// are written when the array is.
private final class ArrayStorage {
    enum Element {
        case bytes([UInt8])
        case slot(Slot)
    }

    var elements: [Element] = []
    /// Bytes of consecutive written elements, kept as one run.
    var pending: [UInt8] = []
    var count = 0

    func append(_ bytes: [UInt8]) {
        if count > 0 { pending.append(UInt8(ascii: ",")) }
        pending.append(contentsOf: bytes)
        count += 1
    }

    func append(_ slot: Slot) {
        if count > 0 { pending.append(UInt8(ascii: ",")) }
        if !pending.isEmpty { elements.append(.bytes(pending)); pending = [] }
        elements.append(.slot(slot))
        count += 1
    }

    func finish(into output: inout [UInt8]) {
        output.append(UInt8(ascii: "["))
        for element in elements {
            switch element {
            case .bytes(let bytes): output.append(contentsOf: bytes)
            case .slot(let slot): slot.finish(into: &output)
            }
        }
        output.append(contentsOf: pending)
        output.append(UInt8(ascii: "]"))
    }
}

private enum Scalar {
    static func bytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        JSONValue.writeString(text, to: &bytes)
        return bytes
    }

    static func bytes(_ value: Bool) -> [UInt8] { Array((value ? "true" : "false").utf8) }

    static func integer<Integer: FixedWidthInteger>(_ value: Integer) -> [UInt8] { Array(String(value).utf8) }

    static func floating<Number: BinaryFloatingPoint & Encodable>(_ value: Number) throws -> [UInt8] {
        Array(try WireJSON.encoder.encode(value))
    }

    static func encoded<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try Slot.write(value, to: &bytes)
        return bytes
    }
}

private struct ObjectContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let storage: ObjectStorage
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) { storage.set(key.stringValue, .bytes(Array("null".utf8))) }
    mutating func encode(_ value: Bool, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.bytes(value))) }
    mutating func encode(_ value: String, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.bytes(value))) }
    mutating func encode(_ value: Int, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: UInt, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) { storage.set(key.stringValue, .bytes(Scalar.integer(value))) }
    mutating func encode(_ value: Float, forKey key: Key) throws { storage.set(key.stringValue, .bytes(try Scalar.floating(value))) }
    mutating func encode(_ value: Double, forKey key: Key) throws { storage.set(key.stringValue, .bytes(try Scalar.floating(value))) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        storage.set(key.stringValue, .bytes(try Scalar.encoded(value)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let slot = Slot()
        storage.set(key.stringValue, .slot(slot))
        return slot.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let slot = Slot()
        storage.set(key.stringValue, .slot(slot))
        return slot.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let slot = Slot()
        storage.set("super", .slot(slot))
        return slot
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let slot = Slot()
        storage.set(key.stringValue, .slot(slot))
        return slot
    }
}

/// The one-value encodes an array element and a single value share: each
/// turns the value into its bytes and hands them to `put`.
private protocol ValueSink {
    mutating func put(_ bytes: [UInt8])
}

extension ValueSink {
    mutating func encodeNil() { put(Array("null".utf8)) }
    mutating func encode(_ value: Bool) { put(Scalar.bytes(value)) }
    mutating func encode(_ value: String) { put(Scalar.bytes(value)) }
    mutating func encode(_ value: Int) { put(Scalar.integer(value)) }
    mutating func encode(_ value: Int8) { put(Scalar.integer(value)) }
    mutating func encode(_ value: Int16) { put(Scalar.integer(value)) }
    mutating func encode(_ value: Int32) { put(Scalar.integer(value)) }
    mutating func encode(_ value: Int64) { put(Scalar.integer(value)) }
    mutating func encode(_ value: UInt) { put(Scalar.integer(value)) }
    mutating func encode(_ value: UInt8) { put(Scalar.integer(value)) }
    mutating func encode(_ value: UInt16) { put(Scalar.integer(value)) }
    mutating func encode(_ value: UInt32) { put(Scalar.integer(value)) }
    mutating func encode(_ value: UInt64) { put(Scalar.integer(value)) }
    mutating func encode(_ value: Float) throws { put(try Scalar.floating(value)) }
    mutating func encode(_ value: Double) throws { put(try Scalar.floating(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { put(try Scalar.encoded(value)) }
}

private struct ArrayContainer: UnkeyedEncodingContainer, ValueSink {
    let storage: ArrayStorage
    var codingPath: [any CodingKey] { [] }
    var count: Int { storage.count }

    mutating func put(_ bytes: [UInt8]) { storage.append(bytes) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let slot = Slot()
        storage.append(slot)
        return slot.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let slot = Slot()
        storage.append(slot)
        return slot.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let slot = Slot()
        storage.append(slot)
        return slot
    }
}

private struct SingleValue: SingleValueEncodingContainer, ValueSink {
    let slot: Slot
    var codingPath: [any CodingKey] { [] }

    mutating func put(_ bytes: [UInt8]) { slot.set(bytes) }
}
