public import Foundation
import UUIDKit

/// An id that is a UUID (an aggregate's, and so its stream's): parsed from
/// the canonical 36-character form in either case, written lower-case (the
/// API's form; `UUID.uuidString` is upper-case), and stored as that string.
public protocol UUIDIdentifier: Hashable, Sendable, Codable, CustomStringConvertible {
    var uuid: UUID { get }
    init(_ uuid: UUID)
}

extension UUIDIdentifier {
    /// Parses the canonical 36-character form, in lower or upper case.
    public init?(_ text: String) {
        guard let uuid = UUID(canonical: text) else { return nil }
        self.init(uuid)
    }

    public var description: String { uuid.lowercasedString }

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
