public import Wire

/// An item's description under the text rule: trimmed, 1–2000 characters,
/// no control characters.
public struct ItemDescription: Hashable, Sendable, StoredText {
    public let value: String

    public static let rule = TextRule(maxLength: 2000)

    public init(validating text: String) throws(TextRule.Violation) {
        self.value = try Self.rule.check(text)
    }

    public init(stored: String) { value = stored }
}
