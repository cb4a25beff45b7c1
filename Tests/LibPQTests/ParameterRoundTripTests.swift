import Foundation
import LibPQ
import TestSupport
import Testing

@Suite("Parameters round-trip through PostgreSQL unchanged")
struct ParameterRoundTripTests {
    /// Sends `value` as a parameter cast to `type` and reads it back.
    func roundTrip<T: PostgresCodable>(_ value: T, as type: String) async throws -> T {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            defer { Task { await connection.close() } }
            let result = try await connection.query("SELECT \(value)::\(unsafeRaw: type)")
            return try result[0].decode(T.self, at: 0)
        }
    }

    @Test(arguments: ["", "plain", "Grüße aus Köln", "日本語テキスト", "emoji 👩‍👩‍👧‍👦🎉", "quote ' and \" and \\ and $1"])
    func text(_ value: String) async throws {
        #expect(try await roundTrip(value, as: "text") == value)
    }

    @Test func longText() async throws {
        let value = String(repeating: "long ✓ ", count: 20_000)
        #expect(try await roundTrip(value, as: "text") == value)
    }

    @Test(arguments: [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max])
    func bigint(_ value: Int64) async throws {
        #expect(try await roundTrip(value, as: "bigint") == value)
    }

    @Test(arguments: [Int.min, 0, 42, Int.max])
    func int(_ value: Int) async throws {
        #expect(try await roundTrip(value, as: "bigint") == value)
    }

    @Test(arguments: [true, false])
    func bool(_ value: Bool) async throws {
        #expect(try await roundTrip(value, as: "boolean") == value)
    }

    @Test func uuid() async throws {
        for _ in 0..<50 {
            let value = UUID()
            #expect(try await roundTrip(value, as: "uuid") == value)
        }
        #expect(try await roundTrip(UUID(uuidString: "00000000-0000-0000-0000-000000000000")!, as: "uuid")
                == UUID(uuidString: "00000000-0000-0000-0000-000000000000")!)
        #expect(try await roundTrip(UUID(uuidString: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")!, as: "uuid")
                == UUID(uuidString: "ffffffff-ffff-ffff-ffff-ffffffffffff")!)
    }

    /// The column decoder's own parser agrees with Foundation's, and refuses
    /// what is not a UUID.
    @Test(arguments: [
        ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", true), ("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", true),
        ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", false), ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", false),
        ("a0eebc999c0b-4ef8-bb6d-6bb9bd380a11-", false), ("g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", false),
        ("", false), ("not a uuid", false),
    ])
    func uuidColumnText(_ text: String, _ valid: Bool) throws {
        let decoded = try? UUID(postgresText: Substring(text))
        #expect((decoded != nil) == valid)
        if valid { #expect(decoded == UUID(uuidString: text)) }
    }

    @Test(arguments: ["0.00", "0.01", "19.99", "59.97", "9999999.99", "-123.45", "12345678901234567890.12"])
    func numericIsExact(_ text: String) async throws {
        let value = try #require(Decimal(string: text))
        let back = try await roundTrip(value, as: "numeric(30,2)")
        #expect(back == value)
        #expect(back.description == Decimal(string: text)!.description)
    }

    @Test func numericDoesNotGoThroughDouble() async throws {
        // 0.1 + 0.2 is not 0.3 in binary floating point; in numeric it is.
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let result = try await connection.query(
                "SELECT \(Decimal(string: "0.1")!)::numeric + \(Decimal(string: "0.2")!)::numeric")
            #expect(try result[0].decode(Decimal.self, at: 0) == Decimal(string: "0.3")!)
            await connection.close()
        }
    }

    @Test(arguments: [0.0, 1_790_000_000.123456, -86_400.5, 1_790_000_000.000001, 4_102_444_800.999999])
    func timestamptzKeepsMicroseconds(_ seconds: Double) async throws {
        let value = Date(timeIntervalSince1970: seconds)
        let back = try await roundTrip(value, as: "timestamptz")
        #expect(abs(back.timeIntervalSince1970 - seconds) < 0.000_000_5)
    }

    @Test func timestamptzFromServerIsUTC() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let result = try await connection.query("SELECT '2026-11-24 10:15:30.123456+02'::timestamptz")
            let date = try result[0].decode(Date.self, at: 0)
            #expect(abs(date.timeIntervalSince1970 - 1_795_508_130.123456) < 0.000_001)
            await connection.close()
        }
    }

    @Test func jsonbAsBytesAndCodable() async throws {
        struct Payload: Codable, Equatable { var name: String; var count: Int }
        let value = try JSONText(encoding: Payload(name: "Zoë 🚀", count: 3))
        let back = try await roundTrip(value, as: "jsonb")
        #expect(try back.decode(Payload.self) == Payload(name: "Zoë 🚀", count: 3))
    }

    @Test(arguments: [UInt64(0), 3, 1 << 40, UInt64(Int64.max)])
    func xid8(_ value: UInt64) async throws {
        #expect(try await roundTrip(value, as: "xid8") == value)
    }

    @Test func byteaIncludingZeroBytes() async throws {
        let value: [UInt8] = [0, 1, 2, 0xfe, 0xff, 0]
        #expect(try await roundTrip(value, as: "bytea") == value)
    }

    @Test func nullRoundTripsAsNil() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let missing: String? = nil
            let result = try await connection.query("SELECT \(missing)::text, \(Optional("x"))::text")
            #expect(try result[0].decode(String?.self, at: 0) == nil)
            #expect(try result[0].decode(String?.self, at: 1) == "x")
            #expect(throws: PostgresError.self) { try result[0].decode(String.self, at: 0) }
            await connection.close()
        }
    }

    @Test func textWithNULByteIsATypedError() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT \("before\u{0}after")::text")
            }
            #expect(error?.kind == .invalidParameter)
            // The connection is still usable afterwards.
            let result = try await connection.query("SELECT \(1)::int")
            #expect(try result[0].decode(Int.self, at: 0) == 1)
            await connection.close()
        }
    }

    @Test func valuesAreBoundNeverSpliced() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let hostile = "'; DROP TABLE pg_class; --"
            let sql: SQL = "SELECT \(hostile)::text"
            #expect(sql.text == "SELECT $1::text")
            #expect(!sql.description.contains("DROP"))
            let result = try await connection.query(sql)
            #expect(try result[0].decode(String.self, at: 0) == hostile)
            await connection.close()
        }
    }

    @Test func rowsDecodeByName() async throws {
        try await TestDatabase.withEmpty { database in
            let connection = try await database.connect()
            let result = try await connection.query(
                "SELECT n AS number, 'row ' || n AS label FROM generate_series(1, \(3)) AS n")
            #expect(result.count == 3)
            #expect(try result.map { try $0.decode(Int.self, named: "number") } == [1, 2, 3])
            #expect(try result[2].decode(String.self, named: "label") == "row 3")
            #expect(throws: PostgresError.self) { try result[0].decode(Int.self, named: "missing") }
            await connection.close()
        }
    }
}
