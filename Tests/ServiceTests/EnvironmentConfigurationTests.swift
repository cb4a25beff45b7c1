import Foundation
import LibPQ
import TestSupport
import Testing

/// Settings from the environment, with no flags, as a container runs the
/// executables (README "Configuration": flags first, then the environment,
/// then defaults). The suite's own `DATABASE_URL` names the server, not a
/// test's database: a process that ignored the variable it was given would
/// find no current schema there, or none at all, and not be ready.
@Suite("Configuration from the environment")
struct EnvironmentConfigurationTests {
    static let services = ["command-service", "query-service", "projector"]
    static let migrations = TestEnvironment.migrationsDirectory.path

    static func checks(_ answer: RunningService.HTTPAnswer) -> [String: String] {
        (QueryProcessTests.json(answer.body)["checks"] as? [String: String]) ?? [:]
    }

    @Test(arguments: services)
    func databaseURLPortAndMigrationsFromTheEnvironment(_ name: String) async throws {
        try await TestDatabase.withMigrated { database in
            let port = try LoopbackHTTP.freePort()
            let service = try await RunningService.start(name, arguments: [], environment: [
                "DATABASE_URL": database.conninfo, "PORT": String(port), "CHRONICLE_MIGRATIONS": Self.migrations,
            ])
            #expect(service.port == port)
            let ready = try await service.get("/health/ready")
            #expect(ready.status == 200, "\(ready.body)")
            #expect(Self.checks(ready)["schema"] == "current")
            #expect(await service.stop() == 0)
        }
    }

    @Test func pgVariablesWhenDatabaseURLIsUnset() async throws {
        try await TestDatabase.withMigrated { database in
            let parts = try ConnectionString.parse(database.conninfo)
            var environment = ["PORT": "0", "CHRONICLE_MIGRATIONS": Self.migrations]
            for (keyword, variable) in [("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("dbname", "PGDATABASE")] {
                let value: String = try #require(parts[keyword], "the test database's conninfo has no \(keyword)")
                environment[variable] = value
            }
            for name in ["query-service", "projector"] {
                let service = try await RunningService.start(name, arguments: [], environment: environment,
                                                             unsetting: ["DATABASE_URL"])
                let ready = try await service.get("/health/ready")
                #expect(ready.status == 200, "\(name): \(ready.body)")
                if name == "query-service" {
                    let projections = try await service.get("/projections")
                    #expect(projections.status == 200, "\(projections.body)")
                }
                #expect(await service.stop() == 0)
            }
            let admin = try await ChildProcess.run(RebuildTests.admin, ["projections", "--json"],
                                                   environment: environment, unsetting: ["DATABASE_URL"])
            #expect(admin.status == 0, "\(admin.output)")
            #expect(admin.output.contains(#""name""#))
        }
    }

    @Test func adminMigrateTakesDatabaseURLFromTheEnvironment() async throws {
        try await TestDatabase.withEmpty { database in
            let migrate = try await ChildProcess.run(RebuildTests.admin, ["migrate"], environment: [
                "DATABASE_URL": database.conninfo, "CHRONICLE_MIGRATIONS": Self.migrations,
            ])
            #expect(migrate.status == 0, "\(migrate.output)")
            #expect(migrate.output.contains("applied: 0001_"))
        }
    }

    @Test func hostFromTheEnvironmentIsTheOnlyAddressListenedOn() async throws {
        try await TestDatabase.withMigrated { database in
            var service = try await RunningService.start("command-service", arguments: [], environment: [
                "DATABASE_URL": database.conninfo, "HOST": "127.0.0.2", "PORT": "0",
                "CHRONICLE_MIGRATIONS": Self.migrations,
            ])
            service.host = "127.0.0.2"
            #expect(try await service.get("/health/live").status == 200)
            #expect(!LoopbackHTTP.accepts(host: "127.0.0.1", port: service.port),
                    "listening on 127.0.0.1 too: HOST was not used")
            #expect(await service.stop() == 0)
        }
    }

    @Test func logLevelDebugAndFormatJSONFromTheEnvironment() async throws {
        try await TestDatabase.withMigrated { database in
            let service = try await RunningService.start("query-service", arguments: [], environment: [
                "DATABASE_URL": database.conninfo, "PORT": "0", "CHRONICLE_MIGRATIONS": Self.migrations,
                "LOG_LEVEL": "debug", "LOG_FORMAT": "json",
            ])
            #expect(try await service.get("/health/live").status == 200)
            // A probe is logged at debug, once the request is answered.
            try await service.waitForLog(#""path":"/health/live""#)
            #expect(await service.stop() == 0)
            let lines = service.process.output.split(separator: "\n")
            let objects = lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(!lines.isEmpty && objects.allSatisfy { $0 != nil },
                    "not one JSON object a line: \(lines.filter { !$0.hasPrefix("{") }.prefix(3))")
            let probe = objects.compactMap { $0 }.first { $0["path"] as? String == "/health/live" }
            #expect(probe?["level"] as? String == "debug")
            #expect(probe?["message"] as? String == "request")
            #expect(probe?["label"] as? String == "query-service")
        }
    }

    @Test func logLevelWarningFromTheEnvironmentKeepsInfoOut() async throws {
        try await TestDatabase.withMigrated { database in
            // Nothing at info, so not even the "listening" line: the port is chosen here.
            let port = try LoopbackHTTP.freePort()
            let service = try await RunningService.start("command-service", onPort: port, environment: [
                "DATABASE_URL": database.conninfo, "PORT": String(port), "CHRONICLE_MIGRATIONS": Self.migrations,
                "LOG_LEVEL": "warning",
            ])
            #expect(try await service.request("POST", "/customers", body: #"{"name": "Quiet", "email": "q@example.com"}"#)
                .status == 201)
            #expect(await service.stop() == 0)
            let output = service.process.output
            #expect(!output.contains("listening") && !output.contains("request"), "info lines logged:\n\(output.prefix(1000))")
        }
    }

    @Test func readDatabaseURLFromTheEnvironmentIsWhereQueriesRead() async throws {
        try await TestDatabase.withMigrated { primary in
            try await TestDatabase.withEmpty { replica in
                let service = try await RunningService.start("query-service", arguments: [], environment: [
                    "DATABASE_URL": primary.conninfo, "READ_DATABASE_URL": replica.conninfo, "PORT": "0",
                    "CHRONICLE_MIGRATIONS": Self.migrations,
                ])
                // The read server has no schema: not ready, and it says which one.
                let ready = try await service.get("/health/ready")
                #expect(ready.status == 503, "\(ready.body)")
                #expect(Self.checks(ready)["schema"] == "current")
                #expect(Self.checks(ready)["read schema"]?.hasPrefix("behind") == true, "\(ready.body)")
                #expect(await service.stop() == 0)
            }
        }
    }

    /// Flags win over the environment, even over values that would be refused.
    @Test func flagsWinOverTheEnvironment() async throws {
        try await TestDatabase.withMigrated { database in
            let service = try await RunningService.start("command-service", arguments: [
                "--database-url", database.conninfo, "--port", "0", "--log-format", "text", "--log-level", "info",
                "--migrations", Self.migrations,
            ], environment: ["DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "PORT": "not-a-port",
                             "LOG_FORMAT": "xml", "LOG_LEVEL": "loud"])
            #expect(try await service.get("/health/ready").status == 200)
            #expect(await service.stop() == 0)
            // Without the flags, each bad variable is a one-line error and a non-zero exit.
            for (variable, value, message) in [("PORT", "not-a-port", "PORT must be a number"),
                                               ("LOG_FORMAT", "xml", "LOG_FORMAT must be 'text' or 'json'"),
                                               ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of"),
                                               ("DATABASE_POOL_SIZE", "abc", "DATABASE_POOL_SIZE must be a whole number"),
                                               ("DATABASE_POOL_SIZE", "0", "DATABASE_POOL_SIZE) must be at least 1"),
                                               ("DATABASE_POOL_TIMEOUT", "0", "DATABASE_POOL_TIMEOUT must be more than 0")] {
                let (status, output) = try await ChildProcess.run(
                    TestEnvironment.binDirectory.appendingPathComponent("command-service"), [],
                    environment: ["DATABASE_URL": database.conninfo, variable: value])
                #expect(status != 0, "\(variable)=\(value) was accepted")
                #expect(output.contains(message), "\(variable)=\(value): \(output)")
            }
        }
    }
}
