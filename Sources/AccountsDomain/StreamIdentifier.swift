public import Foundation

/// An aggregate's id, which is the UUID of its event stream, in the API's
/// lower-case canonical form. Companies and users share the one spelling
/// (parsing, printing, storing) so that the two cannot drift apart.
public protocol StreamIdentifier: Hashable, Sendable, Codable, CustomStringConvertible {
    var uuid: UUID { get }
    init(_ uuid: UUID)
}

extension StreamIdentifier {
    /// Parses the canonical 36-character form, in lower or upper case.
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.init(uuid)
    }

    /// Lower-case canonical form: `UUID.uuidString` is upper-case, the API is not.
    public var description: String { uuid.uuidString.lowercased() }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a UUID: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
