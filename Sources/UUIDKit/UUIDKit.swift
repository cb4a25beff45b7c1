public import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// UUIDs made, written and read without Foundation's slow paths, which
/// showed in the command service's profile (about 3.7 % of its time): every
/// command makes a few ids and writes and reads several.
/// - `UUID()` opens, reads and closes `/dev/urandom` for each id;
/// - `uuidString` formats through `snprintf`, and `UUID(uuidString:)`
///   parses through `sscanf`.
extension UUID {
    /// A random (version 4) UUID from the kernel's CSPRNG, taken from a pool
    /// refilled by one `getrandom` call per 256 ids.
    public static func random() -> UUID {
        var raw = RandomPool.shared.sixteenBytes()
        withUnsafeMutableBytes(of: &raw) { bytes in
            bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
            bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
        }
        return UUID(uuid: raw)
    }

    /// The canonical 8-4-4-4-12 form in lower case: the API's and the
    /// stored form (`uuidString` is upper case).
    public var lowercasedString: String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { output in
                var index = 0
                digits.withUTF8Buffer { digits in
                    for (position, byte) in bytes.enumerated() {
                        if position == 4 || position == 6 || position == 8 || position == 10 {
                            output[index] = UInt8(ascii: "-")
                            index += 1
                        }
                        output[index] = digits[Int(byte >> 4)]
                        output[index + 1] = digits[Int(byte & 0x0F)]
                        index += 2
                    }
                }
                return index
            }
        }
    }

    /// Parses the canonical 8-4-4-4-12 form, in lower or upper case (what
    /// `UUID(uuidString:)` accepts).
    public init?(canonical text: String) {
        self.init(canonical: text[...])
    }

    public init?(canonical text: Substring) {
        var text = text
        guard let parsed = text.withUTF8({ UUID(canonicalUTF8: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// The same from UTF-8 bytes (a column as libpq hands it over). Not
    /// generic over the text's type: a generic parser called across the
    /// module boundary runs unspecialised, and was a sixth of a projector's
    /// time.
    public init?(canonicalUTF8 text: UnsafeRawBufferPointer) {
        guard text.count == 36 else { return nil }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &raw) { bytes -> Bool in
            var offset = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard text[offset] == UInt8(ascii: "-") else { return false }
                    offset += 1
                }
                guard let high = Self.nibble(text[offset]), let low = Self.nibble(text[offset + 1]) else {
                    return false
                }
                bytes[index] = high << 4 | low
                offset += 2
            }
            return true
        }
        guard parsed else { return nil }
        self.init(uuid: raw)
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Random bytes from the kernel, fetched 4 KiB at a time.
private final class RandomPool: Sendable {
    static let shared = RandomPool()

    private struct State {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var used = 4096
    }

    private let state = Mutex(State())

    func sixteenBytes() -> uuid_t {
        state.withLock { state in
            if state.used + 16 > state.bytes.count {
                state.bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                state.used = 0
            }
            var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            // Each byte is handed out once: `used` only moves on.
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: state.bytes[state.used..<state.used + 16]) }
            state.used += 16
            return raw
        }
    }
}
