public import Foundation
import LibPQ
import PostgresEventStore

/// A PostgreSQL cluster of one test's own, for tests that stop and restart
/// the server (which would disturb every other test on the shared one).
public struct PrivateCluster: Sendable {
    public let directory: URL
    public private(set) var url: String = ""

    public static func start() async throws -> PrivateCluster {
        let directory = TestEnvironment.repositoryRoot
            .appendingPathComponent(".data/test-clusters/\(UUID().uuidString.prefix(8).lowercased())")
        var cluster = PrivateCluster(directory: directory)
        cluster.url = try await cluster.script("start", "fast")
        return cluster
    }

    /// Runs `body` with a cluster of its own, migrated, and destroys it
    /// afterwards. For tests that restart the server, and for tests whose
    /// long write transactions would hold back the log's watermark, which is
    /// server-wide, for every other test's projector.
    public static func withMigrated<T>(_ body: (PrivateCluster) async throws -> T) async throws -> T {
        let cluster = try await start()
        do {
            let connection = try await Connection.connect(cluster.url)
            do {
                try await SchemaMigrator(migrations: try TestEnvironment.loadMigrations()).migrate(connection)
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
            let value = try await body(cluster)
            await cluster.destroy()
            return value
        } catch {
            await cluster.destroy()
            throw error
        }
    }

    public func stop() async throws { _ = try await script("stop") }

    @discardableResult
    public func restart() async throws -> String {
        try await stop()
        return try await script("start", "fast")
    }

    /// Stops the server as a crash would, then starts it: it recovers from
    /// the WAL, and unlogged tables come back empty.
    @discardableResult
    public func crashAndRestart() async throws -> String {
        _ = try await script("crash")
        return try await script("start", "fast")
    }

    /// Stops the server and deletes its data.
    public func destroy() async {
        _ = try? await script("stop")
        let real = directory.resolvingSymlinksInPath()
        try? FileManager.default.removeItem(at: real)
        try? FileManager.default.removeItem(at: directory)
    }

    private func script(_ arguments: String...) async throws -> String {
        let (status, output) = try await ChildProcess.run(
            TestEnvironment.repositoryRoot.appendingPathComponent("scripts/pg-cluster.sh"),
            [arguments[0], directory.path] + arguments.dropFirst(), environment: ["PG_MAX_CONNECTIONS": "100"])
        guard status == 0 else {
            throw TestSetupError("pg-cluster.sh \(arguments.joined(separator: " ")) failed (\(status)): \(output)")
        }
        return output.components(separatedBy: "\n").last { !$0.isEmpty } ?? ""
    }
}
