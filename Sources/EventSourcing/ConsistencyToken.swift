import Foundation

/// The opaque string a command's response carries so a later query can ask
/// "do your views include this command?". It encodes the command's last
/// event's `LogPosition` — the same pair a projection's checkpoint holds — so
/// the query side compares the two directly: a view includes the command once
/// its checkpoint is at or past the token's position.
public struct ConsistencyToken: Hashable, Sendable, CustomStringConvertible {
    public var position: LogPosition

    public init(_ position: LogPosition) { self.position = position }

    static let prefix = "c1."

    /// `c1.` then the transaction id and global position in base 36: short,
    /// URL- and header-safe, versioned so the format can change later.
    public var description: String { position.text(prefix: Self.prefix) }

    /// Parses a token; nil for anything malformed.
    public init?(_ text: String) {
        guard let position = LogPosition(text: text, prefix: Self.prefix) else { return nil }
        self.position = position
    }
}

extension LogPosition {
    /// `prefix`, then the transaction id and global position in base 36,
    /// separated by a dot: the text form of the positions clients hold
    /// (consistency tokens, feed cursors), each kind with its own prefix.
    public func text(prefix: String) -> String {
        prefix + String(transactionID, radix: 36) + "." + String(globalPosition, radix: 36)
    }

    /// Parses `text(prefix:)`'s form; nil for anything else (another
    /// prefix, upper-case digits, a negative position, more than 64
    /// characters).
    public init?(text: String, prefix: String) {
        guard text.count <= 64, text.hasPrefix(prefix) else { return nil }
        let parts = text.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isNumber || $0.isLowercase) } }),
              let transactionID = UInt64(parts[0], radix: 36),
              let globalPosition = Int64(parts[1], radix: 36), globalPosition >= 0 else { return nil }
        self.init(transactionID: transactionID, globalPosition: globalPosition)
    }
}
