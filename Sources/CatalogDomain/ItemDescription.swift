public import Wire

/// An item's description under the text rule: trimmed, 1–2000 characters,
/// no control characters.
public struct ItemDescription: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public static let rule = TextRule(maxLength: 2000)

    public init(validating text: String) throws(TextRule.Violation) {
        self.value = try Self.rule.check(text)
    }

    public var description: String { value }
}

extension ItemDescription: Codable {
    /// Stored descriptions were checked when the command ran; they are
    /// trusted as they are, so a later tightening of the rule cannot make
    /// history unreadable.
    public init(from decoder: any Decoder) throws {
        self.value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
