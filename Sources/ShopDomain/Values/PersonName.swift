public import Wire
/// A customer's name under the text rule: trimmed, 1–200 characters.
public struct PersonName: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init(validating text: String) throws(TextRule.Violation) {
        self.value = try TextRule.personName.check(text)
    }

    public var description: String { value }
}

extension PersonName: Codable {
    /// Stored names were checked when the command ran; they are trusted as
    /// they are, so a later tightening of the rule cannot make history unreadable.
    public init(from decoder: any Decoder) throws {
        self.value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
