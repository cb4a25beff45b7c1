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
    /// pass through here, and they never hold `$` inside literals.
    func renumberingPlaceholders(by offset: Int) -> String {
        guard offset > 0, contains("$") else { return self }
        var result = ""
        var index = startIndex
        while index < endIndex {
            let character = self[index]
            if character == "$" {
                let digitsStart = self.index(after: index)
                var digitsEnd = digitsStart
                while digitsEnd < endIndex, self[digitsEnd].isASCII, self[digitsEnd].isNumber {
                    digitsEnd = self.index(after: digitsEnd)
                }
                if digitsEnd > digitsStart, let number = Int(self[digitsStart..<digitsEnd]) {
                    result += "$\(number + offset)"
                    index = digitsEnd
                    continue
                }
            }
            result.append(character)
            index = self.index(after: index)
        }
        return result
    }
}
