import Foundation
import TestSupport
import Testing

/// The four executables as an operator runs them.
@Suite("Executables")
struct ExecutableTests {
    static let services = ["command-service", "query-service", "projector"]

    @Test(arguments: services + ["chronicle-admin"])
    func helpWorks(_ name: String) async throws {
        let (status, output) = try await ChildProcess.run(TestEnvironment.binDirectory.appendingPathComponent(name), ["--help"])
        #expect(status == 0)
        #expect(output.contains("USAGE: \(name)"))
    }

    @Test func badSettingsAreAPlainErrorAndNonZeroExit() async throws {
        let (status, output) = try await ChildProcess.run(
            TestEnvironment.binDirectory.appendingPathComponent("command-service"), ["--log-format", "xml"])
        #expect(status != 0)
        #expect(output.contains("LOG_FORMAT must be 'text' or 'json'"))
    }

    @Test(arguments: services)
    func readyOnMigratedDatabaseAndExitsZeroOnSIGTERM(_ name: String) async throws {
        try await TestDatabase.withMigrated { database in
            let service = try await RunningService.start(name, database: database)
            #expect(try await service.get("/health/live").status == 200)
            let ready = try await service.get("/health/ready")
            #expect(ready.status == 200, "\(ready.body)")
            #expect(try await service.get("/metrics").body.contains("http_requests_total"))
            #expect(await service.stop() == 0)
        }
    }

    @Test(arguments: services)
    func notReadyOnUnmigratedDatabase(_ name: String) async throws {
        try await TestDatabase.withEmpty { database in
            let service = try await RunningService.start(name, database: database)
            let ready = try await service.get("/health/ready")
            #expect(ready.status == 503)
            #expect(ready.body.contains("behind"))
            #expect(await service.stop() == 0)
        }
    }

    @Test func adminMigrateAppliesThenReportsCurrent() async throws {
        try await TestDatabase.withEmpty { database in
            let admin = TestEnvironment.binDirectory.appendingPathComponent("chronicle-admin")
            let first = try await ChildProcess.run(admin, ["migrate", "--database-url", database.conninfo,
                                                           "--migrations", TestEnvironment.migrationsDirectory.path])
            #expect(first.status == 0)
            #expect(first.output.contains("applied: 0001_"))
            let second = try await ChildProcess.run(admin, ["migrate", "--database-url", database.conninfo,
                                                            "--migrations", TestEnvironment.migrationsDirectory.path])
            #expect(second.status == 0)
            #expect(second.output.contains("schema is current"))
        }
    }

    @Test func adminMigrateAgainstNoServerFailsClearly() async throws {
        let admin = TestEnvironment.binDirectory.appendingPathComponent("chronicle-admin")
        let (status, output) = try await ChildProcess.run(
            admin, ["migrate", "--database-url", "postgresql://postgres@127.0.0.1:9/none?connect_timeout=2"])
        #expect(status != 0)
        #expect(output.contains("cannot connect to the database"))
    }
}
