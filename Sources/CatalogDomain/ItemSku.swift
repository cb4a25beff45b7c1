import EventSourcing
public import Foundation
import Wire

/// An item's stock-keeping unit, chosen by the caller and the item's
/// identity: 1–64 characters of `[A-Za-z0-9_-]`, case-sensitive, so it is
/// safe as a URL path segment (`/items/{sku}`) without escaping.
public struct ItemSku: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String

    public static let maxLength = 64

    public init?(_ text: String) {
        guard PathSafeCode.isValid(text, maxLength: Self.maxLength) else { return nil }
        self.value = text
    }

    public var description: String { value }

    /// Byte order, which for these characters is the order `GET /items` lists them in.
    public static func < (lhs: ItemSku, rhs: ItemSku) -> Bool { Array(lhs.value.utf8).lexicographicallyPrecedes(rhs.value.utf8) }

    /// The item's stream id: the name-based UUID of the sku, so the same sku
    /// always names the same stream (and two skus differing in case, two).
    public var streamID: UUID { UUID(nameBased: value, in: Self.namespace) }

    /// `uuid5(NAMESPACE_URL, "https://chronicle.dev/catalog/items")`; fixed
    /// forever, since stored streams are named by it.
    static let namespace = UUID(uuidString: "4728ea53-70ac-5ecf-b7b3-6cfd0c71aef5")!
}

extension ItemSku: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let sku = ItemSku(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a sku: \(text)"))
        }
        self = sku
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
