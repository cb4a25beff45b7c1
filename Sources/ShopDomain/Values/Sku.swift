import Wire

/// A stock-keeping unit: 1–64 characters of `[A-Za-z0-9_-]`, so it is safe
/// as a URL path segment (`DELETE /orders/{id}/items/{sku}`) without escaping.
public struct Sku: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public static let maxLength = 64

    public init?(_ text: String) {
        guard PathSafeCode.isValid(text, maxLength: Self.maxLength) else { return nil }
        self.value = text
    }

    public var description: String { value }
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
