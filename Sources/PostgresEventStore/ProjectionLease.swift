import Foundation
public import LibPQ

/// The per-projection lease: a session advisory lock keyed by the
/// projection's name, held on a dedicated connection whose
/// `application_name` says which process holds it.
public enum ProjectionLease {
    /// `projector@<host>:<pid>`, the lease connection's application_name.
    public static var holderName: String {
        "projector@\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    static func key(_ projection: String) -> SQL {
        "hashtextextended(\("chronicle.projection." + projection), 0)"
    }

    /// Throws when the lease's session is gone (and with it the lock).
    public static func check(_ lease: Connection) async throws {
        try await lease.query("SELECT 1")
    }

    /// `pg_try_advisory_lock(key)` on `connection`: true if its session now
    /// holds `projection`'s lease.
    public static func tryAcquire(_ projection: String, on connection: Connection) async throws -> Bool {
        var sql: SQL = "SELECT pg_try_advisory_lock("
        sql.append(key(projection))
        sql.append(")")
        return try await connection.query(sql)[0].decode(Bool.self, at: 0)
    }

    /// Who holds each projection's lease now (absent: nobody).
    public static func holders(of projections: [String], on connection: Connection) async throws -> [String: String] {
        var holders: [String: String] = [:]
        for projection in projections {
            var sql: SQL = """
                SELECT coalesce(nullif(a.application_name, ''), 'pid ' || a.pid::text)
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND ((l.classid::bigint << 32) | l.objid::bigint) =
                """
            sql.append(key(projection))
            if let row = try await connection.query(sql).first {
                holders[projection] = try row.decode(String.self, at: 0)
            }
        }
        return holders
    }
}
