/// A stock-keeping unit: 1–64 characters of `[A-Za-z0-9_-]`, so it is safe
/// as a URL path segment (`DELETE /orders/{id}/items/{sku}`) without escaping.
public struct Sku: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public static let maxLength = 64

    public init?(_ text: String) {
        guard (1...Sku.maxLength).contains(text.utf8.count), text.utf8.allSatisfy(Sku.isAllowed) else {
            return nil
        }
        self.value = text
    }

    public var description: String { value }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }
}

extension Sku: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let sku = Sku(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a sku: \(text)"))
        }
        self = sku
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
