public import Foundation
public import LibPQ
import Synchronization

/// One numbered SQL file from `migrations/` (`0001_events.sql`).
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads every `NNNN_name.sql` file of `directory`, ordered by number.
    /// Two files with one number, or a malformed name, are an error.
    public static func load(from directory: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for name in names {
            guard let prefix = name.split(separator: "_").first, let version = Int(prefix), version > 0 else {
                throw MigrationError.badFileName(name)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(previous.name, next.name)
        }
        return migrations
    }
}

public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case badFileName(String)
    case duplicateVersion(String, String)
    case changedAfterApplied(name: String, applied: String, now: String)

    public var description: String {
        switch self {
        case .badFileName(let name):
            "migration file '\(name)' must be named NNNN_description.sql"
        case .duplicateVersion(let first, let second):
            "migrations '\(first)' and '\(second)' share a version number"
        case .changedAfterApplied(let name, let applied, let now):
            "migration '\(name)' was changed after it was applied (checksum \(applied.prefix(12))… then, \(now.prefix(12))… now); "
                + "add a new migration instead of editing an applied one"
        }
    }
}

/// Where a database's schema stands against the migrations we ship.
public enum SchemaStatus: Equatable, Sendable {
    case current
    case behind(pending: [String])
    case changed(String)
}

/// Applies migrations in order, each once, each in its own transaction, and
/// records each with a checksum. A session advisory lock serialises runners,
/// so processes that start together apply every file exactly once.
public struct SchemaMigrator: Sendable {
    public let migrations: [Migration]
    /// Checksums by version, computed once: readiness checks call `status`
    /// every few seconds and the files do not change under a running process.
    private let checksums = ChecksumCache()

    /// Arbitrary but fixed: the advisory lock key for migrations.
    static let lockKey: Int64 = 0x4348_524F_4E49_4D47  // "CHRONIMG"

    public init(migrations: [Migration]) { self.migrations = migrations }

    /// Applies what is pending and returns the names applied now.
    @discardableResult
    public func migrate(_ connection: Connection) async throws -> [String] {
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
        do {
            let applied = try await applyPending(connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
            throw error
        }
    }

    private func applyPending(_ connection: Connection) async throws -> [String] {
        try await connection.execute(unsafeScript: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    int PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let recorded = try await appliedChecksums(connection)
        var appliedNow: [String] = []
        for migration in migrations {
            let checksum = try await self.checksum(of: migration, on: connection)
            if let previous = recorded[migration.version] {
                guard previous == checksum else {
                    throw MigrationError.changedAfterApplied(name: migration.name, applied: previous, now: checksum)
                }
                continue
            }
            try await connection.withTransaction { tx in
                try await tx.execute(unsafeScript: migration.sql)
                try await tx.query("""
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(checksum))
                    """)
            }
            appliedNow.append(migration.name)
        }
        return appliedNow
    }

    /// Compares the database with our migrations without changing anything.
    public func status(_ connection: Connection) async throws -> SchemaStatus {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard try exists[0].decode(Bool.self, at: 0) else {
            return migrations.isEmpty ? .current : .behind(pending: migrations.map(\.name))
        }
        let recorded = try await appliedChecksums(connection)
        var pending: [String] = []
        for migration in migrations {
            guard let previous = recorded[migration.version] else {
                pending.append(migration.name)
                continue
            }
            if previous != (try await checksum(of: migration, on: connection)) { return .changed(migration.name) }
        }
        return pending.isEmpty ? .current : .behind(pending: pending)
    }

    private func appliedChecksums(_ connection: Connection) async throws -> [Int: String] {
        var checksums: [Int: String] = [:]
        for row in try await connection.query("SELECT version, checksum FROM schema_migrations") {
            checksums[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        return checksums
    }

    /// SHA-256 of the file, computed by PostgreSQL so we need no crypto library.
    private func checksum(of migration: Migration, on connection: Connection) async throws -> String {
        if let known = checksums.value(for: migration) { return known }
        let result = try await connection.query(
            "SELECT encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex')")
        let checksum = try result[0].decode(String.self, at: 0)
        checksums.store(checksum, for: migration)
        return checksum
    }
}

/// Checksums of migration texts already computed.
private final class ChecksumCache: Sendable {
    private let known = Mutex<[String: String]>([:])

    func value(for migration: Migration) -> String? { known.withLock { $0[migration.sql] } }
    func store(_ checksum: String, for migration: Migration) { known.withLock { $0[migration.sql] = checksum } }
}
