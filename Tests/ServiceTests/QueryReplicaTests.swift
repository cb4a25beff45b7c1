import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import TestSupport
import Testing

/// READ_DATABASE_URL against a real streaming replica: a private primary
/// cluster, and a hot standby of it made with `pg_basebackup -R`.
@Suite("Query service on a streaming replica")
struct QueryReplicaTests {
    @Test func readsFromTheReplicaAreFreshForTokensAndWaitWhileReplayIsPaused() async throws {
        try await StreamingReplica.withMigratedPrimary { primary, replica in
            try await QueryAPIHarness.run(conninfo: primary.url, readDatabaseURL: replica.url) { api in
                let ready = try await api.get("/health/ready")
                #expect(ready.status == 200, "\(ready.body)")
                let checks = ready.json["checks"] as? [String: String] ?? [:]
                #expect(checks["read database"] == "ok" && checks["read schema"] == "current", "\(ready.body)")

                let customer = try await api.registerCustomer("Replica Reader")
                var latencies: [Duration] = []
                for trial in 1...50 {
                    let started = ContinuousClock.now
                    let placed = try await api.placeOrder(customer: customer.id)
                    let order = try await api.get("/orders/\(placed.id)", after: placed.token)
                    latencies.append(ContinuousClock.now - started)
                    #expect(order.status == 200 && order.consistency == "fresh", "trial \(trial): \(order.body)")
                    let owner = try await api.get("/customers/\(customer.id)", after: placed.token)
                    #expect(owner.json["order_count"] as? Int == trial, "trial \(trial)")
                }
                latencies.sort()
                print("replica read-your-writes, 50 trials: p50 \(latencies[25]), max \(latencies[49])")

                // Replay paused: the primary's projector moves on and
                // notifies, but the replica's views do not, so the answer
                // waits — and is fresh as soon as replay resumes.
                let control = try await Connection.connect(replica.url)
                try await control.query("SELECT pg_wal_replay_pause()")
                let paused = try await api.placeOrder(customer: customer.id)
                let stale = try await api.get("/orders/\(paused.id)", after: paused.token, waitMilliseconds: 300)
                #expect(stale.status == 404 && stale.consistency == "stale", "\(stale.body)")
                let waiting = Task { try await api.get("/orders/\(paused.id)", after: paused.token, waitMilliseconds: 30000) }
                try await QueryConsistencyTests.untilWaiting(api, 1)
                try await Task.sleep(for: .milliseconds(300))
                #expect(api.watcher.waiting == 1)
                let resumed = ContinuousClock.now
                try await control.query("SELECT pg_wal_replay_resume()")
                await control.close()
                let answer = try await waiting.value
                #expect(answer.status == 200 && answer.consistency == "fresh", "\(answer.body)")
                // Well before the 30 s wait ran out, with room for a loaded machine.
                #expect(ContinuousClock.now - resumed < .seconds(20))
            }
        }
    }
}

extension QueryReplicaTests {
    /// With READ_DATABASE_URL the feed reads the replica: while its replay
    /// is paused, events committed on the primary are neither paged nor
    /// streamed; once it resumes, the open stream delivers them (woken by
    /// the primary's notifications and the replay echoes), each once.
    @Test func theFeedReadsTheReplica() async throws {
        try await StreamingReplica.withMigratedPrimary { primary, replica in
            let service = try await RunningService.start("query-service", arguments: [
                "--database-url", primary.url, "--read-database-url", replica.url, "--port", "0",
                "--migrations", TestEnvironment.migrationsDirectory.path])
            let notifier = CommitNotifier(conninfo: primary.url)
            let notifying = Task { try await notifier.run() }
            let pool = ConnectionPool(conninfo: primary.url, maxConnections: 1)
            let shop = ShopWriter(store: PostgresEventStore(pool: pool, onCommit: { notifier.signal() }))
            let stream = try await EventStreamReader.open(port: service.port)
            try await shop.registerCustomer("Replayed")
            try await waitUntil("the first event streamed from the replica", within: Bound.projection) {
                stream.events.count == 1
            }
            let control = try await Connection.connect(replica.url)
            try await control.query("SELECT pg_wal_replay_pause()")
            try await shop.registerCustomer("Paused")
            try await Task.sleep(for: .milliseconds(1500))
            #expect(stream.events.count == 1, "streamed an event the replica has not replayed")
            let page = QueryProcessTests.json(try await service.get("/events").body)
            #expect((page["events"] as? [Any])?.count == 1)
            try await control.query("SELECT pg_wal_replay_resume()")
            try await waitUntil("the paused event streamed", within: Bound.projection) { stream.events.count == 2 }
            #expect(Set(stream.events.compactMap(\.id)).count == 2)
            stream.close()
            #expect(await service.stop() == 0)
            notifying.cancel()
            await control.close()
            await pool.close()
        }
    }
}


/// A hot standby of a private cluster, in a directory of its own under
/// /var/tmp (where the `postgres` OS user can write when tests run as root).
struct StreamingReplica: Sendable {
    /// Runs `body` with a private primary, migrated, and a streaming
    /// replica that has replayed the migrations; destroys both afterwards.
    /// The fast test cluster commits asynchronously, so WAL would reach the
    /// replica only at the WAL writer's next flush (200 ms): the primary
    /// flushes commits at once, as in production.
    static func withMigratedPrimary(_ body: (PrivateCluster, StreamingReplica) async throws -> Void) async throws {
        let primary = try await PrivateCluster.start()
        let replica: StreamingReplica
        do {
            replica = try await StreamingReplica.start(following: primary.url)
        } catch {
            await primary.destroy()
            throw error
        }
        do {
            let migrate = try await Connection.connect(primary.url)
            try await SchemaMigrator(migrations: TestEnvironment.loadMigrations()).migrate(migrate)
            try await migrate.execute(unsafeScript: "ALTER SYSTEM SET synchronous_commit = on")
            try await migrate.query("SELECT pg_reload_conf()")
            await migrate.close()
            try await replica.waitForReplay(of: primary.url)
            try await body(primary, replica)
        } catch {
            await replica.destroy()
            await primary.destroy()
            throw error
        }
        await replica.destroy()
        await primary.destroy()
    }

    let directory: String
    let url: String

    static var script: URL { TestEnvironment.repositoryRoot.appendingPathComponent("scripts/pg-cluster.sh") }

    static func start(following primaryURL: String) async throws -> StreamingReplica {
        let parameters = try ConnectionString.parse(primaryURL)
        let directory = "/var/tmp/chronicle-replica-\(UUID().uuidString.prefix(8).lowercased())"
        let backup = """
            set -e
            bindir=$(pg_config --bindir 2>/dev/null || true)
            [ -x "$bindir/pg_basebackup" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
            run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
            run "$bindir/pg_basebackup" -h 127.0.0.1 -p "$1" -U postgres -D "$2" -R -X stream -c fast
            """
        let (status, output) = try await ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"), ["-c", backup, "basebackup", parameters["port"] ?? "5432", directory])
        guard status == 0 else { throw TestSetupError("pg_basebackup failed (\(status)): \(output)") }
        let (started, log) = try await ChildProcess.run(script, ["start", directory, "fast"])
        guard started == 0, let url = log.components(separatedBy: "\n").last(where: { $0.hasPrefix("postgresql://") }) else {
            throw TestSetupError("the replica did not start (\(started)): \(log)")
        }
        return StreamingReplica(directory: directory, url: url)
    }

    /// Waits until the replica has replayed everything the primary has written so far.
    func waitForReplay(of primaryURL: String, timeout: Duration = .seconds(30)) async throws {
        let primary = try await Connection.connect(primaryURL)
        let lsn = try await primary.query("SELECT pg_current_wal_lsn()::text")[0].decode(String.self, at: 0)
        await primary.close()
        let replica = try await Connection.connect(url)
        defer { Task { await replica.close() } }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let replayed = try await replica.query(
                "SELECT pg_last_wal_replay_lsn() >= \(lsn)::pg_lsn")[0].decode(Bool?.self, at: 0)
            if replayed == true { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSetupError("the replica did not replay \(lsn) within \(timeout)")
    }

    func destroy() async {
        _ = try? await ChildProcess.run(Self.script, ["stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }
}
