public import Wire

/// A customer's name under the text rule: trimmed, 1–200 characters.
public struct PersonName: Hashable, Sendable, StoredText {
    public let value: String

    public init(validating text: String) throws(TextRule.Violation) {
        self.value = try TextRule.personName.check(text)
    }

    public init(stored: String) { value = stored }
}
