import Foundation
public import LibPQ
public import PostgresEventStore

/// Answers `/health/ready`: the database answers and its schema has every
/// migration this build ships (a service on a behind schema would fail its
/// queries, so it says not-ready until `chronicle-admin migrate` ran).
public struct DatabaseReadiness: Sendable {
    public let pool: ConnectionPool
    public let migrator: SchemaMigrator

    public init(pool: ConnectionPool, migrator: SchemaMigrator) {
        self.pool = pool
        self.migrator = migrator
    }

    public func check() async -> ReadinessReport {
        do {
            let status = try await pool.withConnection { try await migrator.status($0) }
            switch status {
            case .current:
                return ReadinessReport(ready: true, checks: ["database": "ok", "schema": "current"])
            case .behind(let pending):
                return ReadinessReport(ready: false, checks: [
                    "database": "ok", "schema": "behind: \(pending.joined(separator: ", ")) not applied"])
            case .changed(let name):
                return ReadinessReport(ready: false, checks: ["database": "ok", "schema": "\(name) changed after it was applied"])
            }
        } catch {
            return ReadinessReport(ready: false, checks: ["database": "unreachable: \(error)"])
        }
    }
}

public struct ReadinessReport: Sendable, Encodable, Equatable {
    public var ready: Bool
    public var checks: [String: String]

    public init(ready: Bool, checks: [String: String]) {
        self.ready = ready
        self.checks = checks
    }

    /// Combines several reports: ready only when all are.
    public func merged(with other: ReadinessReport) -> ReadinessReport {
        ReadinessReport(ready: ready && other.ready, checks: checks.merging(other.checks) { $1 })
    }
}
