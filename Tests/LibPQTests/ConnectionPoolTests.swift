import Foundation
import LibPQ
import Synchronization
import TestSupport
import Testing

@Suite("Connection pool")
struct ConnectionPoolTests {
    @Test func exhaustionTimesOutWithAClearError() async throws {
        try await TestDatabase.withEmpty { database in
            let pool = ConnectionPool(conninfo: database.conninfo, maxConnections: 2, acquireTimeout: .milliseconds(300))
            // Hold both connections, for as long as the test holds a lock
            // they wait for (not for a time a loaded machine could outlast),
            // then ask for a third.
            let lock = try await database.connect()
            try await lock.query("SELECT pg_advisory_lock(42)")
            let holdersDone = HoldersDone()
            async let first: Void = pool.withConnection {
                try await $0.query("SELECT pg_advisory_xact_lock_shared(42)")
                holdersDone.mark()
            }
            async let second: Void = pool.withConnection {
                try await $0.query("SELECT pg_advisory_xact_lock_shared(42)")
                holdersDone.mark()
            }
            try await ServerActivity.waitForActive(2, running: "SELECT pg_advisory_xact_lock_shared(42)", in: database.conninfo)
            let error = await #expect(throws: PostgresError.self) {
                try await pool.query("SELECT 1")
            }
            #expect(error?.kind == .poolTimeout)
            #expect(error?.message.contains("no database connection became free") == true)
            // It gave up while both holders still held their connections.
            #expect(holdersDone.count == 0)
            try await lock.query("SELECT pg_advisory_unlock(42)")
            await lock.close()
            _ = try await (first, second)
            // Once they are returned, the pool serves again.
            try await pool.query("SELECT 1")
            #expect(pool.openConnections <= 2)
            await pool.close()
        }
    }

    /// A connection's own lane ends with it; a task that prefers that lane
    /// (started on `connection.executor` by lent code) must still run after.
    @Test func aTaskThatPrefersARetiredLaneStillRuns() async throws {
        try await TestDatabase.withEmpty { database in
            let pool = ConnectionPool(ConnectionPool.Configuration(
                conninfo: database.conninfo, maxConnections: 1, connectionsHaveOwnLanes: true))
            final class Flags: Sendable {
                let open = Mutex(false)
                let ran = Mutex(false)
            }
            let flags = Flags()
            try await pool.withConnection { connection in
                try await connection.query("SELECT 1")
                Task(executorPreference: connection.executor) {
                    while !flags.open.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    flags.ran.withLock { $0 = true }
                }
            }
            await pool.close()
            flags.open.withLock { $0 = true }
            let started = ContinuousClock.now
            while !flags.ran.withLock({ $0 }), ContinuousClock.now - started < .seconds(10) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(flags.ran.withLock { $0 }, "the task never ran again after its lane retired")
            // And a fresh pool of such connections serves as before.
            let again = ConnectionPool(ConnectionPool.Configuration(
                conninfo: database.conninfo, maxConnections: 4, connectionsHaveOwnLanes: true))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await again.query("SELECT pg_sleep(0.05)") } }
                try await group.waitForAll()
            }
            await again.close()
        }
    }

    @Test func concurrentSleepsRunInParallelOffTheCooperativePool() async throws {
        try await TestDatabase.withEmpty { database in
            let pool = ConnectionPool(conninfo: database.conninfo, maxConnections: 64, acquireTimeout: .seconds(30))
            // Open the connections first so the measurement is of the queries.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<64 { group.addTask { _ = try await pool.query("SELECT pg_sleep(0.3)") } }
                try await group.waitForAll()
            }
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<64 { group.addTask { _ = try await pool.query("SELECT pg_sleep(1)") } }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            // Serially this is 64 s; blocking the two cooperative threads, 32 s.
            // In parallel it is about 1 s; the bound leaves room for a loaded machine.
            #expect(elapsed < .seconds(20), "64 × pg_sleep(1) took \(elapsed)")
            await pool.close()
        }
    }

    @Test func reconnectsAfterPostgreSQLRestarts() async throws {
        let cluster = try await PrivateCluster.start()
        do {
            try await reconnects(cluster)
        } catch {
            await cluster.destroy()
            throw error
        }
        await cluster.destroy()
    }

    func reconnects(_ cluster: PrivateCluster) async throws {
        let pool = ConnectionPool(conninfo: cluster.url, maxConnections: 4, acquireTimeout: .seconds(5))
        // Fill the pool with connections that the restart will kill.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try await pool.query("SELECT pg_sleep(0.05)") } }
            try await group.waitForAll()
        }
        let url = try await cluster.restart()
        #expect(url == cluster.url)
        let result = try await pool.query("SELECT \(7)::int")
        #expect(try result[0].decode(Int.self, at: 0) == 7)
        // Every idle connection was replaced, not just one.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try await pool.query("SELECT 1") } }
            try await group.waitForAll()
        }
        await pool.close()
    }

    @Test func listenerReconnectsAfterRestart() async throws {
        let cluster = try await PrivateCluster.start()
        do {
            try await listenerReconnects(cluster)
        } catch {
            await cluster.destroy()
            throw error
        }
        await cluster.destroy()
    }

    func listenerReconnects(_ cluster: PrivateCluster) async throws {
        var events = Listener(conninfo: cluster.url, channels: ["wake"]).makeAsyncIterator()
        #expect(await events.next() == .reconnected)
        try await cluster.restart()
        #expect(await events.next() == .reconnected)
        let sender = try await Connection.connect(cluster.url)
        try await sender.query("SELECT pg_notify('wake', \("after restart"))")
        guard case .notification(let notification) = await events.next() else {
            Issue.record("no notification after the restart")
            return
        }
        #expect(notification.payload == "after restart")
        await sender.close()
    }
}

private final class HoldersDone: Sendable {
    private let done = Mutex(0)
    func mark() { done.withLock { $0 += 1 } }
    var count: Int { done.withLock { $0 } }
}
