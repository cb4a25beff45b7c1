public import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import LibPQ
public import PostgresEventStore

/// Where the tests find their PostgreSQL server, migrations and executables.
public enum TestEnvironment {
    /// The server `make test` started (or the one DATABASE_URL names).
    public static var serverURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                throw TestSetupError("DATABASE_URL is not set: run the tests with `make test`")
            }
            return url
        }
    }

    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var migrationsDirectory: URL { repositoryRoot.appendingPathComponent("migrations") }

    /// The directory of the built executables (`CHRONICLE_BIN_DIR`, else
    /// `.build/debug`).
    public static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["CHRONICLE_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return repositoryRoot.appendingPathComponent(".build/debug")
    }

    public static func loadMigrations() throws -> [Migration] {
        try Migration.load(from: migrationsDirectory)
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A database of its own for one test, so tests run in parallel. Migrated
/// databases are copied from a template migrated once per test run
/// (`CREATE DATABASE … TEMPLATE`, tens of milliseconds), and dropped after
/// the test.
public struct TestDatabase: Sendable {
    public let name: String
    public let conninfo: String

    /// Names carry the test process's pid, so several test runs can share a
    /// server: each cleans up only after runs whose process is gone.
    static let processTag = "\(getpid())"
    static let templateName = "tpl_\(processTag)"

    static func newName() -> String {
        "t_\(processTag)_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }
    private static let template = TemplateOnce()

    /// Runs `body` with a fresh, migrated database.
    public static func withMigrated<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        try await template.ensure()
        return try await withDatabase(from: templateName, body)
    }

    /// A migrated database that outlives the test (shared fixtures); the
    /// next test run drops it with the other leftovers.
    public static func createMigrated() async throws -> TestDatabase {
        try await template.ensure()
        let name = newName()
        let admin = try await Connection.connect(TestEnvironment.serverURL)
        try await admin.execute(unsafeScript: "CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE \(quoteIdentifier(templateName)) STRATEGY FILE_COPY")
        await admin.close()
        return TestDatabase(name: name, conninfo: try ConnectionString.overriding(TestEnvironment.serverURL, with: ["dbname": name]))
    }

    /// Runs `body` with a fresh database that has no schema at all.
    public static func withEmpty<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        // The one-time setup also clears stale databases: it must run first.
        try await template.ensure()
        return try await withDatabase(from: "template0", body)
    }

    private static func withDatabase<T>(from template: String, _ body: (TestDatabase) async throws -> T) async throws -> T {
        let name = newName()
        let admin = try await Connection.connect(TestEnvironment.serverURL)
        try await admin.execute(unsafeScript: "CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE \(quoteIdentifier(template)) STRATEGY FILE_COPY")
        let database = TestDatabase(name: name,
                                    conninfo: try ConnectionString.overriding(TestEnvironment.serverURL, with: ["dbname": name]))
        do {
            let value = try await body(database)
            try? await admin.execute(unsafeScript: "DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
            await admin.close()
            return value
        } catch {
            try? await admin.execute(unsafeScript: "DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
            await admin.close()
            throw error
        }
    }

    public func connect() async throws -> Connection {
        try await Connection.connect(conninfo)
    }

    public func makePool(maxConnections: Int = 8, acquireTimeout: Duration = .seconds(30)) -> ConnectionPool {
        ConnectionPool(conninfo: conninfo, maxConnections: maxConnections, acquireTimeout: acquireTimeout)
    }

    /// Lends a pool for `body` and closes it afterwards.
    public func withPool<T>(maxConnections: Int = 8, _ body: (ConnectionPool) async throws -> T) async throws -> T {
        let pool = makePool(maxConnections: maxConnections)
        do {
            let value = try await body(pool)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// Builds the migrated template once per test process. Leftover databases
/// of earlier runs whose process has ended are dropped first.
private actor TemplateOnce {
    private var task: Task<Void, Error>?

    func ensure() async throws {
        if task == nil {
            task = Task {
                let admin = try await Connection.connect(TestEnvironment.serverURL)
                defer { Task { await admin.close() } }
                for row in try await admin.query(
                    "SELECT datname FROM pg_database WHERE datname LIKE 't\\_%' OR datname LIKE 'tpl\\_%'") {
                    let stale = try row.decode(String.self, at: 0)
                    let parts = stale.split(separator: "_")
                    guard parts.count >= 2, let pid = Int32(parts[1]), kill(pid, 0) != 0, errno == ESRCH else { continue }
                    try await admin.execute(unsafeScript: "DROP DATABASE IF EXISTS \(quoteIdentifier(stale)) WITH (FORCE)")
                }
                let template = quoteIdentifier(TestDatabase.templateName)
                try await admin.execute(unsafeScript: "DROP DATABASE IF EXISTS \(template) WITH (FORCE)")
                try await admin.execute(unsafeScript: "CREATE DATABASE \(template)")
                let migrate = try await Connection.connect(
                    ConnectionString.overriding(TestEnvironment.serverURL, with: ["dbname": TestDatabase.templateName]))
                try await SchemaMigrator(migrations: TestEnvironment.loadMigrations()).migrate(migrate)
                await migrate.close()
            }
        }
        try await task!.value
    }
}
