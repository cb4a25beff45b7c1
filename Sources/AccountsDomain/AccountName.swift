public import Wire

/// A company's or a user's name under the text rule: trimmed, 1–200
/// characters, no control characters. One type for both, because the
/// contract gives them the same rule.
public struct AccountName: Hashable, Sendable, StoredText {
    public let value: String

    public static let rule = TextRule(maxLength: 200)

    public init(validating text: String) throws(TextRule.Violation) {
        self.value = try Self.rule.check(text)
    }

    public init(stored: String) { value = stored }
}
