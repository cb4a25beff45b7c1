/// An email address, kept exactly as given; uniqueness uses
/// `normalized`, because addresses are compared case-insensitively.
///
/// The check is pragmatic rather than full RFC 5322 (no quoted local parts,
/// comments or address literals), strict enough to keep out what cannot be a
/// deliverable address:
/// - at most 254 characters in all, exactly one `@`;
/// - a local part of 1–64 characters: no whitespace, control characters or
///   the specials `"(),:;<>[\]`, and dots only between other characters;
/// - a domain of at least two dot-separated labels, each 1–63 ASCII letters,
///   digits or hyphens, not starting or ending with a hyphen, the last one not
///   all digits (so `a@1.2.3.4` is refused), at most 253 characters.
public struct Email: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public static let maxLength = 254

    public init?(_ text: String) {
        guard text.count <= Email.maxLength else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, Email.isValidLocalPart(parts[0]), Email.isValidDomain(parts[1]) else {
            return nil
        }
        self.value = text
    }

    /// The form compared for uniqueness: `Ada@Example.org` and
    /// `ada@example.org` are the same address.
    public var normalized: String { value.lowercased() }

    public var description: String { value }

    private static func isValidLocalPart(_ local: Substring) -> Bool {
        guard (1...64).contains(local.count), local.first != ".", local.last != ".",
              !local.contains("..") else { return false }
        return local.unicodeScalars.allSatisfy { scalar in
            !scalar.properties.isWhitespace && scalar.properties.generalCategory != .control
                && !#""(),:;<>[\]"#.unicodeScalars.contains(scalar)
        }
    }

    private static func isValidDomain(_ domain: Substring) -> Bool {
        guard domain.utf8.count <= 253 else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let last = labels.last,
              !last.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { byte in
                    switch byte {
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                         UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): true
                    default: false
                    }
                }
        }
    }
}

extension Email: Codable {
    /// Stored addresses were checked when the command ran and are trusted as
    /// they are, so a later tightening of the check cannot make history unreadable.
    public init(from decoder: any Decoder) throws {
        self.value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension FieldReader {
    /// An email field: at most `Email.maxLength` characters, a valid address.
    public mutating func email(_ key: String, in object: BodyObject) -> Email? {
        guard let raw = string(key, in: object) else { return nil }
        guard raw.count <= Email.maxLength else {
            fail(object.path(of: key), "must be at most \(Email.maxLength) characters")
            return nil
        }
        guard let email = Email(raw) else {
            fail(object.path(of: key), "must be a valid email address")
            return nil
        }
        return email
    }
}
