/// A text value checked when its command ran and stored as a JSON string.
/// Read back, it is trusted as it is, so a later tightening of its rule
/// cannot make history unreadable.
public protocol StoredText: Codable, CustomStringConvertible {
    var value: String { get }
    /// The value as stored, unchecked: for decoding history only.
    init(stored: String)
}

extension StoredText {
    public init(from decoder: any Decoder) throws {
        self.init(stored: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { value }
}

/// Codes chosen by callers that name things in paths (skus): 1…`maxLength`
/// characters of `[A-Za-z0-9_-]`, so they need no escaping in a URL.
public enum PathSafeCode {
    /// What a 422 says of a field that is not such a code.
    public static func violation(maxLength: Int) -> String {
        "must be 1 to \(maxLength) characters of A-Z, a-z, 0-9, '_' and '-'"
    }

    public static func isValid(_ text: String, maxLength: Int) -> Bool {
        (1...maxLength).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }
}
