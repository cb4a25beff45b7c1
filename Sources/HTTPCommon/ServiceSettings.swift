import ArgumentParser
import Foundation
import Logging

/// Settings every process takes: flags first, then the environment
/// (Twelve-Factor), then defaults. See README "Configuration".
public struct ServiceSettings: ParsableArguments, Sendable {
    @Option(name: .customLong("database-url"),
            help: "libpq URI or key=value string (env DATABASE_URL; PG* variables also apply)")
    public var databaseURL: String?

    @Option(help: "Address to listen on (env HOST, default 127.0.0.1)")
    public var host: String?

    @Option(help: "Port to listen on, 0 for any free port (env PORT)")
    public var port: Int?

    @Option(name: .customLong("log-level"), help: "trace|debug|info|notice|warning|error|critical (env LOG_LEVEL, default info)")
    public var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text|json (env LOG_FORMAT, default text)")
    public var logFormat: String?

    @Option(name: .customLong("pool-size"), help: "Maximum database connections (env DATABASE_POOL_SIZE, default 16)")
    public var poolSize: Int?

    @Option(name: .customLong("migrations"), help: "Directory of migration files (env CHRONICLE_MIGRATIONS, default ./migrations)")
    public var migrationsDirectory: String?

    public init() {}

    public func validate() throws {
        if let format = logFormat ?? environment("LOG_FORMAT"), LogFormat(rawValue: format) == nil {
            throw ValidationError("LOG_FORMAT must be 'text' or 'json', not '\(format)'")
        }
        if let level = logLevel ?? environment("LOG_LEVEL"), Logger.Level(rawValue: level) == nil {
            throw ValidationError("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let port = port ?? environment("PORT").flatMap(Int.init), !(0...65535).contains(port) {
            throw ValidationError("PORT must be between 0 and 65535")
        }
        if environment("PORT") != nil, port == nil, environment("PORT").flatMap(Int.init) == nil {
            throw ValidationError("PORT must be a number")
        }
        if let size = resolvedPoolSize, size < 1 {
            throw ValidationError("the pool size must be at least 1")
        }
    }

    private func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The connection string; empty means "libpq defaults and PG* variables".
    public var resolvedDatabaseURL: String { databaseURL ?? environment("DATABASE_URL") ?? "" }
    public var resolvedHost: String { host ?? environment("HOST") ?? "127.0.0.1" }
    public func resolvedPort(default defaultPort: Int) -> Int {
        port ?? environment("PORT").flatMap(Int.init) ?? defaultPort
    }
    public var resolvedLogLevel: Logger.Level {
        (logLevel ?? environment("LOG_LEVEL")).flatMap(Logger.Level.init(rawValue:)) ?? .info
    }
    public var resolvedLogFormat: LogFormat {
        (logFormat ?? environment("LOG_FORMAT")).flatMap(LogFormat.init(rawValue:)) ?? .text
    }
    public var resolvedPoolSize: Int? { poolSize ?? environment("DATABASE_POOL_SIZE").flatMap(Int.init) }
    public var resolvedMigrationsDirectory: String? { migrationsDirectory ?? environment("CHRONICLE_MIGRATIONS") }
}

public enum LogFormat: String, Sendable {
    case text, json
}
