/// A SQL statement with its parameters. Interpolated values become `$n`
/// parameters, never text: `"SELECT * FROM t WHERE id = \(id)"` sends
/// `SELECT * FROM t WHERE id = $1` and `id` separately. Text that must be
/// spliced into the statement itself (an identifier we generated) goes
/// through `SQL(unsafeRaw:)` or `\(unsafeRaw:)`, which say so at the call site.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public internal(set) var text: String
    public internal(set) var bindings: [PostgresBinding]

    public init(stringLiteral value: String) {
        text = value
        bindings = []
    }

    public init(unsafeRaw text: String, bindings: [PostgresBinding] = []) {
        self.text = text
        self.bindings = bindings
    }

    public init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
        bindings = stringInterpolation.bindings
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        var bindings: [PostgresBinding] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            bindings.append(PostgresBinding(value))
            text += "$\(bindings.count)"
        }

        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            bindings.append(value.map(PostgresBinding.init) ?? .null)
            text += "$\(bindings.count)"
        }

        public mutating func appendInterpolation(unsafeRaw text: String) { self.text += text }

        /// A fragment of our own SQL, its placeholders renumbered to follow
        /// the ones before it: a rule written once (the log's reading rule)
        /// spliced into every statement that follows it.
        public mutating func appendInterpolation(_ fragment: SQL) {
            text += fragment.text.renumberingPlaceholders(by: bindings.count)
            bindings += fragment.bindings
        }
    }

    /// Appends `other`, renumbering its `$n` placeholders to follow ours, so
    /// statements with a variable number of rows can be built from parts.
    public mutating func append(_ other: SQL) {
        text += other.text.renumberingPlaceholders(by: bindings.count)
        bindings += other.bindings
    }

    /// `parts` one after another with `separator` (our own text) between
    /// them, placeholders renumbered: a list of rows or conditions whose
    /// length the caller decides.
    public init(joining parts: [SQL], separator: String) {
        self.init(unsafeRaw: "")
        for (index, part) in parts.enumerated() {
            if index > 0 { text += separator }
            append(part)
        }
    }

    /// The statement with bindings hidden, safe to log.
    public var description: String { "\(text) [\(bindings.count) bindings: ****]" }
}

/// One parameter value in PostgreSQL's text format (nil is SQL NULL).
public struct PostgresBinding: Sendable {
    public let text: String?

    public static let null = PostgresBinding(text: nil)

    init(text: String?) { self.text = text }

    public init(_ value: some PostgresEncodable) { text = value.postgresText }
}

extension String {
    /// Shifts every `$n` placeholder by `offset`. Only our own SQL fragments
    /// pass through here, and they never hold `$` inside literals. It works
    /// on UTF-8 bytes: statements are built per request, and walking them
    /// as Characters (or searching them through Foundation) showed in
    /// profiles.
    func renumberingPlaceholders(by offset: Int) -> String {
        guard offset > 0 else { return self }
        let dollar = UInt8(ascii: "$"), zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        var source = self
        return source.withUTF8 { text -> String in
            guard text.contains(dollar) else { return self }
            var result: [UInt8] = []
            result.reserveCapacity(text.count + 16)
            var index = 0
            while index < text.count {
                let byte = text[index]
                index += 1
                result.append(byte)
                guard byte == dollar else { continue }
                var end = index
                var number = 0
                // Eighteen digits cannot overflow; a longer run is not one of ours, kept as it is.
                while end < text.count, end - index < 18, (zero...nine).contains(text[end]) {
                    number = number * 10 + Int(text[end] - zero)
                    end += 1
                }
                guard end > index, end == text.count || !(zero...nine).contains(text[end]) else { continue }
                result.append(contentsOf: String(number + offset).utf8)
                index = end
            }
            return String(decoding: result, as: UTF8.self)
        }
    }
}
