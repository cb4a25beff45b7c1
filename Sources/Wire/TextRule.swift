/// The API's rule for free text (names, reasons, address fields): trimmed of
/// leading and trailing whitespace, then 1…`maxLength` characters, counted as
/// extended grapheme clusters (what a person sees as one character, so
/// `"e\u{301}"` and a flag emoji count one each).
///
/// A control character (U+0000–U+001F, U+007F) anywhere in the text as given
/// is refused, even a tab or newline at an end that trimming would remove:
/// it signals a client bug or an injection attempt rather than padding.
public struct TextRule: Sendable, Equatable {
    public let maxLength: Int

    public init(maxLength: Int) {
        self.maxLength = maxLength
    }

    /// Why a text breaks the rule; `description` reads as a field message.
    public enum Violation: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case tooLong(maxLength: Int)
        case controlCharacter

        public var description: String {
            switch self {
            case .empty: "must not be empty"
            case .tooLong(let maxLength): "must be at most \(maxLength) characters"
            case .controlCharacter: "must not contain control characters"
            }
        }
    }

    /// The trimmed text, or why it is not acceptable.
    public func check(_ text: String) throws(Violation) -> String {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw .controlCharacter
        }
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { throw .empty }
        let result = String(text[first...last])
        if result.count > maxLength { throw .tooLong(maxLength: maxLength) }
        return result
    }
}
