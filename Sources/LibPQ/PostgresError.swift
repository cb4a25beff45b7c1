import CLibPQ

/// An error from PostgreSQL or from this module, with PostgreSQL's fields
/// when the server reported it.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server rejected a statement; `sqlState` says why.
        case server
        /// The connection could not be made or was lost.
        case connection
        /// A pooled idle connection turned out closed before anything was
        /// sent on it; the pool retries on a fresh one.
        case staleConnection
        /// No pooled connection became free within the acquire timeout.
        case poolTimeout
        /// The pool is shut down.
        case poolClosed
        /// A parameter cannot be sent (e.g. text with a NUL byte).
        case invalidParameter
        /// A column could not be decoded into the requested Swift type.
        case decoding
    }

    public var kind: Kind
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil,
                hint: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    public var description: String {
        var text = message
        if let sqlState { text = "\(sqlState): \(text)" }
        if let detail { text += " (\(detail))" }
        return text
    }

    /// Named SQLSTATE codes we act on.
    public enum Code {
        public static let uniqueViolation = "23505"
        public static let checkViolation = "23514"
        public static let serializationFailure = "40001"
        public static let deadlockDetected = "40P01"
        public static let lockNotAvailable = "55P03"
        public static let queryCanceled = "57014"
        public static let raiseException = "P0001"
        public static let undefinedTable = "42P01"
        public static let invalidCatalogName = "3D000"
    }

    public var isUniqueViolation: Bool { sqlState == Code.uniqueViolation }
    public var isSerializationFailure: Bool {
        sqlState == Code.serializationFailure || sqlState == Code.deadlockDetected
    }
    /// The server could not be reached, went away, or is shutting down: the
    /// operation may succeed on a new connection later.
    public var isConnectionFailure: Bool {
        if kind == .connection || kind == .staleConnection || kind == .poolTimeout { return true }
        // Class 08 (connection exception), 57P01–57P03 (admin shutdown, crash
        // shutdown, cannot connect now).
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }
}

extension PostgresError {
    static func fromResult(_ result: OpaquePointer?, connection: OpaquePointer?) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let result, let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let sqlState = field(CLibPQ_DIAG_SQLSTATE)
        let primary = field(CLibPQ_DIAG_MESSAGE_PRIMARY)
        let connectionMessage = connection.flatMap { PQerrorMessage($0) }.map { String(cString: $0) }
        let message = primary ?? connectionMessage?.trimmingTrailingNewlines() ?? "unknown PostgreSQL error"
        let broken = connection.map { PQstatus($0) == CONNECTION_BAD } ?? true
        return PostgresError(
            kind: sqlState == nil && broken ? .connection : .server,
            sqlState: sqlState, message: message,
            detail: field(CLibPQ_DIAG_MESSAGE_DETAIL), hint: field(CLibPQ_DIAG_MESSAGE_HINT),
            constraint: field(CLibPQ_DIAG_CONSTRAINT_NAME))
    }

    static func connectionFailure(_ connection: OpaquePointer?) -> PostgresError {
        let message = connection.flatMap { PQerrorMessage($0) }.map { String(cString: $0) }
        return PostgresError(kind: .connection,
                             message: message?.trimmingTrailingNewlines() ?? "connection failed")
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
