import CLibPQ

/// Owns one `PGresult`. A result is immutable once returned by libpq and
/// independent of its connection, so reading it from any thread is safe.
final class ResultHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { PQclear(pointer) }
}

/// The rows a statement returned, read lazily from libpq's result.
public struct QueryResult: Sendable, RandomAccessCollection {
    let handle: ResultHandle?
    public let columnNames: [String]
    /// Rows inserted, updated or deleted (from the command tag), else 0.
    public let affectedRows: Int

    init(_ handle: ResultHandle) {
        self.handle = handle
        let pointer = handle.pointer
        columnNames = (0..<PQnfields(pointer)).map { String(cString: PQfname(pointer, $0)) }
        affectedRows = Int(String(cString: PQcmdTuples(pointer))) ?? 0
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { handle.map { Int(PQntuples($0.pointer)) } ?? 0 }

    public subscript(position: Int) -> Row { Row(result: self, index: Int32(position)) }

    func columnIndex(_ name: String) throws -> Int32 {
        guard let index = columnNames.firstIndex(of: name) else {
            throw PostgresError(kind: .decoding, message: "no column named '\(name)'")
        }
        return Int32(index)
    }
}

/// One row of a `QueryResult`.
public struct Row: Sendable {
    let result: QueryResult
    let index: Int32

    public var columnCount: Int { result.columnNames.count }

    public func isNull(_ column: Int) -> Bool {
        guard let pointer = result.handle?.pointer else { return true }
        return PQgetisnull(pointer, index, Int32(column)) == 1
    }

    public func isNull(named name: String) throws -> Bool { isNull(Int(try result.columnIndex(name))) }

    /// The column's raw bytes (nil for NULL), valid only inside `body`:
    /// decoders read them in place, without a String in between.
    func withBytes<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        guard let pointer = result.handle?.pointer, column >= 0, column < PQnfields(pointer),
              PQgetisnull(pointer, index, column) == 0, let value = PQgetvalue(pointer, index, column) else {
            return try body(nil)
        }
        return try body(UnsafeRawBufferPointer(start: value, count: Int(PQgetlength(pointer, index, column))))
    }

    /// Decodes column `column`; a NULL is an error (use the optional form).
    public func decode<T: PostgresDecodable>(_ type: T.Type, at column: Int) throws -> T {
        try withBytes(Int32(column)) { bytes in
            guard let bytes else {
                throw PostgresError(kind: .decoding,
                                    message: "column \(column) (\(name(column))) is NULL, expected \(T.self)")
            }
            return try T(postgresBytes: bytes)
        }
    }

    public func decode<T: PostgresDecodable>(_ type: T?.Type, at column: Int) throws -> T? {
        try withBytes(Int32(column)) { bytes in try bytes.map { try T(postgresBytes: $0) } }
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type, named name: String) throws -> T {
        try decode(type, at: Int(result.columnIndex(name)))
    }

    public func decode<T: PostgresDecodable>(_ type: T?.Type, named name: String) throws -> T? {
        try decode(type, at: Int(result.columnIndex(name)))
    }

    private func name(_ column: Int) -> String {
        column < result.columnNames.count ? result.columnNames[column] : "?"
    }
}
