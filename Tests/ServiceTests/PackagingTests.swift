import Foundation
import TestSupport
import Testing

/// The container packaging: docker-compose.yml and the Dockerfile, checked
/// without a Docker engine (these machines have none). docker-compose.yml is
/// read through PyYAML (`python3`), the Dockerfile as text.
@Suite("Packaging")
struct PackagingTests {
    static let composeFile = TestEnvironment.repositoryRoot.appendingPathComponent("docker-compose.yml")
    static let dockerfile = TestEnvironment.repositoryRoot.appendingPathComponent("Dockerfile")

    /// The long-running services and the port each listens on (and publishes).
    static let appServices: [(String, Int)] = [
        ("command-service", 8080), ("query-service", 8081), ("projector-1", 8082), ("projector-2", 8083),
    ]

    // MARK: docker compose itself, when it is installed

    /// Whether `docker compose` works here (these machines have the docker
    /// client but neither an engine nor the Compose plugin).
    static func composeIsInstalled() async -> Bool {
        guard let docker = executable(named: "docker") else { return false }
        return (try? await ChildProcess.run(docker, ["compose", "version"]).status) == 0
    }

    @Test(.enabled("needs the Docker Compose plugin, which this machine lacks; the structure tests below stand alone") {
        await PackagingTests.composeIsInstalled()
    })
    func dockerComposeAcceptsTheFile() async throws {
        let docker = try #require(Self.executable(named: "docker"))
        let (status, output) = try await ChildProcess.run(docker, ["compose", "-f", Self.composeFile.path, "config", "-q"])
        #expect(status == 0, "docker compose config: \(output)")
    }

    // MARK: the healthcheck script, run as the container runs it

    /// `chronicle-healthcheck`, as the Dockerfile writes it into the image.
    static func healthcheckScript() throws -> URL {
        let lines = try String(contentsOf: dockerfile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("COPY") && $0.contains("<<'EOF' /app/bin/chronicle-healthcheck") },
                                 "the Dockerfile does not write /app/bin/chronicle-healthcheck")
        let end = try #require(lines[(start + 1)...].firstIndex { $0 == "EOF" })
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("chronicle-healthcheck-\(UUID().uuidString)")
        try lines[(start + 1)..<end].joined(separator: "\n").appending("\n").write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script
    }

    /// The Compose healthchecks run this script: it must pass on a ready
    /// service and fail on one that is not ready, not found or not there.
    @Test func theHealthcheckScriptPassesOnlyOnAReadyService() async throws {
        let script = try Self.healthcheckScript()
        defer { try? FileManager.default.removeItem(at: script) }
        func check(_ path: String?, port: Int?) async throws -> (status: Int32, output: String) {
            try await ChildProcess.run(URL(fileURLWithPath: "/bin/bash"), [script.path] + (path.map { [$0] } ?? []),
                                       environment: port.map { ["PORT": String($0)] } ?? [:], unsetting: port == nil ? ["PORT"] : [])
        }
        try await TestDatabase.withMigrated { database in
            let service = try await RunningService.start("command-service", database: database)
            #expect(try await check(nil, port: service.port).status == 0)  // /health/ready by default
            #expect(try await check("/health/live", port: service.port).status == 0)
            let missing = try await check("/no/such/route", port: service.port)
            #expect(missing.status != 0 && missing.output.contains("404"), "\(missing)")
            #expect(await service.stop() == 0)
            #expect(try await check(nil, port: service.port).status != 0, "passes with nothing listening")
        }
        try await TestDatabase.withEmpty { database in
            let notReady = try await RunningService.start("command-service", database: database)
            let answer = try await check(nil, port: notReady.port)
            #expect(answer.status != 0 && answer.output.contains("503"), "\(answer)")
            #expect(await notReady.stop() == 0)
        }
        let unset = try await check(nil, port: nil)
        #expect(unset.status != 0 && unset.output.contains("PORT"), "\(unset)")
    }

    // MARK: docker-compose.yml

    @Test func theServicesExist() async throws {
        let services = try await Self.services()
        for name in ["postgres", "migrate", "command-service", "query-service", "projector-1", "projector-2"] {
            #expect(services[name] != nil, "docker-compose.yml has no service '\(name)'")
        }
    }

    @Test func postgresIsVersion15WithANamedVolumeAndAHealthcheck() async throws {
        let compose = try await Self.compose()
        let postgres = try #require(Self.services(in: compose)["postgres"])
        #expect(postgres["image"] as? String == "postgres:15")
        let volumes = (postgres["volumes"] as? [Any] ?? []).compactMap { Self.volumeSource($0) }
        let named = try #require(volumes.first, "postgres mounts no volume")
        #expect(!named.hasPrefix(".") && !named.hasPrefix("/"), "postgres data should be a named volume, not \(named)")
        #expect((compose["volumes"] as? [String: Any])?.keys.contains(named) == true,
                "volume '\(named)' is not declared under top-level volumes")
        let healthcheck = try #require(postgres["healthcheck"] as? [String: Any], "postgres has no healthcheck")
        #expect(Self.words(healthcheck["test"]).contains { $0.contains("pg_isready") })
    }

    @Test func migrateRunsOnceAfterPostgresIsHealthy() async throws {
        let migrate = try #require(try await Self.services()["migrate"])
        let command = Self.words(migrate["command"])
        #expect(command.suffix(2) == ["chronicle-admin", "migrate"], "migrate runs \(command)")
        #expect(Self.dependencies(of: migrate)["postgres"] == "service_healthy")
        #expect(migrate["restart"] as? String == "no")
        #expect(Self.environment(of: migrate)["DATABASE_URL"] != nil)
    }

    @Test(arguments: appServices.map(\.0))
    func appServiceWaitsForTheMigration(_ name: String) async throws {
        let service = try #require(try await Self.services()[name])
        #expect(Self.dependencies(of: service)["migrate"] == "service_completed_successfully",
                "\(name) must depend on migrate with condition service_completed_successfully")
    }

    @Test(arguments: appServices)
    func appServiceHasItsSettingsAndPort(_ name: String, _ port: Int) async throws {
        let service = try #require(try await Self.services()[name])
        let environment = Self.environment(of: service)
        let url = try #require(environment["DATABASE_URL"], "\(name) has no DATABASE_URL")
        #expect(url.contains("@postgres:") || url.contains("@postgres/") || url.contains("host=postgres"),
                "\(name)'s DATABASE_URL does not name the postgres service: \(url)")
        #expect(environment["HOST"] == "0.0.0.0", "\(name) must listen on 0.0.0.0 in a container")
        #expect(environment["PORT"] == String(port))
        #expect(environment["LOG_FORMAT"] == "json")
        let published = (service["ports"] as? [Any] ?? []).compactMap(Self.publishedPort)
        #expect(published.contains { $0.container == port && $0.host == port },
                "\(name) should publish \(port):\(port), publishes \(published)")
        let healthcheck = try #require(service["healthcheck"] as? [String: Any], "\(name) has no healthcheck")
        #expect(Self.words(healthcheck["test"]).suffix(2) == ["chronicle-healthcheck", "/health/ready"],
                "\(name)'s healthcheck: \(Self.words(healthcheck["test"]))")
        // The tests' bounds are these promises (TestSupport's Bound).
        #expect(Self.seconds(healthcheck["start_period"]) == Bound.startup, "\(name)'s start_period")
        #expect(Self.seconds(service["stop_grace_period"]) == Bound.drain, "\(name)'s stop_grace_period")
        #expect(service["restart"] as? String == "unless-stopped")
    }

    /// Every Chronicle process and the migration reach the one database the
    /// postgres service creates, as the user it creates.
    @Test func everyDatabaseURLNamesThePostgresServicesDatabaseAndUser() async throws {
        let services = try await Self.services()
        let postgres = try #require(services["postgres"])
        let created = Self.environment(of: postgres)
        let user = try #require(created["POSTGRES_USER"]), name = try #require(created["POSTGRES_DB"])
        let password = try #require(created["POSTGRES_PASSWORD"])
        for service in ["migrate"] + Self.appServices.map(\.0) {
            let definition = try #require(services[service])
            let url = try #require(Self.environment(of: definition)["DATABASE_URL"])
            #expect(url == "postgresql://\(user):\(password)@postgres:5432/\(name)", "\(service): \(url)")
        }
        #expect(Self.words(postgres["command"]).contains { $0.hasPrefix("idle_in_transaction_session_timeout=") },
                "the server should end sessions left idle in a transaction (they hold back the projectors)")
        let healthcheck = Self.words((postgres["healthcheck"] as? [String: Any])?["test"])
        #expect(healthcheck.contains("-h"), "pg_isready should check over TCP: \(healthcheck)")
    }

    @Test func theServicesRunTheirExecutables() async throws {
        let services = try await Self.services()
        let expected = ["command-service": "command-service", "query-service": "query-service",
                        "projector-1": "projector", "projector-2": "projector"]
        for (name, executable) in expected {
            #expect(Self.words(services[name]?["command"]).first == executable, "\(name) should run \(executable)")
        }
    }

    @Test func theProjectorRunsAsTwoCopies() async throws {
        let services = try await Self.services()
        let projectors = services.filter { Self.words($0.value["command"]).first == "projector" }
        let copies = projectors.values.reduce(0) { total, service in
            total + (((service["deploy"] as? [String: Any])?["replicas"] as? Int) ?? 1)
        }
        #expect(copies == 2, "projector copies: \(copies) (services \(projectors.keys.sorted()))")
    }

    // MARK: Dockerfile

    @Test func dockerfileIsMultiStageWithLibpqAndANonRootUser() throws {
        let text = try String(contentsOf: Self.dockerfile, encoding: .utf8)
        let instructions = Self.instructions(text)
        let fromIndexes = instructions.indices.filter { instructions[$0].uppercased().hasPrefix("FROM ") }
        #expect(fromIndexes.count >= 2, "a multi-stage build has at least two FROM lines")
        let runtime = instructions[(fromIndexes.last ?? 0)...]
        #expect(runtime.contains { $0.uppercased().hasPrefix("RUN ") && $0.contains("libpq5") },
                "the runtime stage must install libpq5")
        let user = try #require(runtime.last { $0.uppercased().hasPrefix("USER ") }, "the runtime stage sets no USER")
        let name = user.dropFirst(5).trimmingCharacters(in: .whitespaces).split(separator: ":").first.map { String($0) }
        #expect(name != nil && name != "root" && name != "0", "the image must not run as root: \(user)")
        for variable in ["HOST=0.0.0.0", "LOG_FORMAT=json", "CHRONICLE_MIGRATIONS=", "CHRONICLE_OPENAPI="] {
            #expect(runtime.contains { $0.uppercased().hasPrefix("ENV ") && $0.contains(variable) },
                    "the runtime stage should set \(variable)")
        }
        let build = instructions[(fromIndexes.first ?? 0)..<(fromIndexes.last ?? 0)]
        #expect(build.contains { $0.contains("swift build") && $0.contains("-c release") })
        for product in ["command-service", "query-service", "projector", "chronicle-admin"] {
            #expect(build.contains { $0.contains(product) }, "the build stage does not build \(product)")
        }
    }

    // MARK: helpers

    /// docker-compose.yml as JSON-compatible values, parsed by PyYAML.
    static func compose() async throws -> [String: Any] {
        guard let python = executable(named: "python3") else {
            throw TestSetupError("python3 is not installed: the packaging tests read docker-compose.yml through PyYAML")
        }
        let script = "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
        let (status, output) = try await ChildProcess.run(python, ["-c", script, composeFile.path])
        if status != 0 {
            if output.contains("No module named 'yaml'") {
                throw TestSetupError("PyYAML is missing for \(python.path): install python3-yaml (apt) or PyYAML (pip)")
            }
            throw TestSetupError("cannot parse docker-compose.yml: \(output)")
        }
        guard let data = output.data(using: .utf8),
              let document = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestSetupError("docker-compose.yml is not a YAML mapping: \(output)")
        }
        return document
    }

    static func services() async throws -> [String: [String: Any]] {
        services(in: try await compose())
    }

    static func services(in compose: [String: Any]) -> [String: [String: Any]] {
        (compose["services"] as? [String: Any] ?? [:]).compactMapValues { $0 as? [String: Any] }
    }

    /// A command or healthcheck test as words: a list as it is, a string split on spaces.
    static func words(_ value: Any?) -> [String] {
        if let list = value as? [Any] { return list.map { "\($0)" } }
        if let string = value as? String { return string.split(separator: " ").map { String($0) } }
        return []
    }

    /// A Compose duration (`30s`, `1m30s`) as a Duration.
    static func seconds(_ value: Any?) -> Duration? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        var total = 0, number = ""
        for character in text {
            if character.isNumber { number.append(character); continue }
            guard let amount = Int(number) else { return nil }
            switch character {
            case "h": total += amount * 3600
            case "m": total += amount * 60
            case "s": total += amount
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? .seconds(total) : nil
    }

    /// `environment` in either form: a mapping, or a list of `KEY=value`.
    static func environment(of service: [String: Any]) -> [String: String] {
        if let mapping = service["environment"] as? [String: Any] {
            return mapping.compactMapValues { $0 is NSNull ? nil : "\($0)" }
        }
        var result: [String: String] = [:]
        for entry in service["environment"] as? [String] ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }

    /// `depends_on` in either form: service → condition (a plain list means `service_started`).
    static func dependencies(of service: [String: Any]) -> [String: String] {
        if let list = service["depends_on"] as? [String] {
            return Dictionary(uniqueKeysWithValues: list.map { ($0, "service_started") })
        }
        return (service["depends_on"] as? [String: Any] ?? [:]).mapValues {
            (($0 as? [String: Any])?["condition"] as? String) ?? "service_started"
        }
    }

    /// A `ports` entry, short (`"8080:8080"`, `"127.0.0.1:8080:8080/tcp"`) or long syntax.
    static func publishedPort(_ entry: Any) -> (host: Int?, container: Int)? {
        if let long = entry as? [String: Any] {
            guard let target = Int("\(long["target"] ?? "")") else { return nil }
            return (long["published"].flatMap { Int("\($0)") }, target)
        }
        let spec = "\(entry)".split(separator: "/").first.map { String($0) } ?? ""
        let parts = spec.split(separator: ":").map { String($0) }
        guard let container = parts.last.flatMap({ Int($0) }) else { return nil }
        return (parts.count >= 2 ? Int(parts[parts.count - 2]) : nil, container)
    }

    /// The source of a volume entry (`name:/path`, or long syntax).
    static func volumeSource(_ entry: Any) -> String? {
        if let long = entry as? [String: Any] { return long["source"] as? String }
        let parts = "\(entry)".split(separator: ":")
        return parts.count >= 2 ? String(parts[0]) : nil
    }

    /// Dockerfile instructions, one string each: continuation lines joined,
    /// comments and here-document bodies dropped.
    static func instructions(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var heredocEnd: String?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let end = heredocEnd {
                if line == end { heredocEnd = nil }
                continue
            }
            if line.hasPrefix("#") || (line.isEmpty && current.isEmpty) { continue }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
                continue
            }
            current += line
            if let range = current.range(of: "<<") {
                let marker = current[range.upperBound...].drop { $0 == "-" }
                    .prefix { !$0.isWhitespace }.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
                if !marker.isEmpty { heredocEnd = marker }
            }
            if !current.isEmpty { result.append(current) }
            current = ""
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// The first executable of that name on PATH.
    static func executable(named name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
