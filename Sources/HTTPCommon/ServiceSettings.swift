public import ArgumentParser
import Foundation
public import Logging

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

    @Option(name: .customLong("pool-timeout"),
            help: "Seconds a request waits for a free database connection, else 503 (env DATABASE_POOL_TIMEOUT, default 5)")
    public var poolTimeout: Double?

    @Option(name: .customLong("migrations"), help: "Directory of migration files (env CHRONICLE_MIGRATIONS, default ./migrations)")
    public var migrationsDirectory: String?

    @Option(name: .customLong("idle-timeout"),
            help: "Seconds a keep-alive connection may wait for its next request (env HTTP_IDLE_TIMEOUT, default 75)")
    public var idleTimeout: Double?

    @Option(name: .customLong("header-timeout"),
            help: "Seconds a request's head may take from its first byte, else 408 (env HTTP_HEADER_TIMEOUT, default 10)")
    public var headerTimeout: Double?

    @Option(name: .customLong("read-timeout"),
            help: "Seconds a whole request may take from its first byte, else 408; also how long a response may stay unread (env HTTP_READ_TIMEOUT, default 30)")
    public var readTimeout: Double?

    @Option(name: .customLong("max-connections"),
            help: "HTTP connections served at once (env HTTP_MAX_CONNECTIONS, default 4096 or what the open-files limit leaves room for)")
    public var maxConnections: Int?

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
        if let size = try poolSize ?? integer("DATABASE_POOL_SIZE"), size < 1 {
            throw ValidationError("the pool size (DATABASE_POOL_SIZE) must be at least 1")
        }
        _ = try Self.seconds(poolTimeout, "DATABASE_POOL_TIMEOUT")
        _ = try Self.seconds(idleTimeout, "HTTP_IDLE_TIMEOUT")
        let header = try Self.seconds(headerTimeout, "HTTP_HEADER_TIMEOUT")
        let read = try Self.seconds(readTimeout, "HTTP_READ_TIMEOUT")
        if (header ?? HTTPConnectionLimits.defaultHeaderTimeout) > (read ?? HTTPConnectionLimits.defaultReadTimeout) {
            throw ValidationError("HTTP_HEADER_TIMEOUT must not be longer than HTTP_READ_TIMEOUT")
        }
        let fromEnvironment = try integer("HTTP_MAX_CONNECTIONS")
        if let value = maxConnections ?? fromEnvironment, value < 1 {
            throw ValidationError("HTTP_MAX_CONNECTIONS must be at least 1")
        }
    }

    /// A timeout from its flag or environment variable: seconds, more than
    /// 0 and at most a day. Every duration setting of every process reads so.
    public static func seconds(_ flag: Double?, _ variable: String) throws -> Duration? {
        var value = flag
        if value == nil, let text = environment(variable) {
            guard let number = Double(text) else {
                throw ValidationError("\(variable) must be a number of seconds, not '\(text)'")
            }
            value = number
        }
        guard let value else { return nil }
        guard value.isFinite, value > 0, value <= 86_400 else {
            throw ValidationError("\(variable) must be more than 0 and at most 86400 seconds")
        }
        return .milliseconds(Int64((value * 1000).rounded(.up)))
    }

    private func integer(_ variable: String) throws -> Int? { try Self.integer(nil, variable) }

    /// A whole number from its flag or environment variable.
    public static func integer(_ flag: Int?, _ variable: String) throws -> Int? {
        if let flag { return flag }
        guard let text = environment(variable) else { return nil }
        guard let number = Int(text) else { throw ValidationError("\(variable) must be a whole number, not '\(text)'") }
        return number
    }

    /// A whole number from its flag or environment variable, within `range`.
    public static func integer(_ flag: Int?, _ variable: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let number = try integer(flag, variable) else { return nil }
        guard range.contains(number) else {
            throw ValidationError("\(variable) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    /// The connection limits from flags, environment and defaults; the
    /// default cap leaves room under `descriptorLimit` for the descriptors
    /// already open, the pool and the process, and an explicit cap that does
    /// not fit is an error.
    public func resolvedConnectionLimits(descriptorLimit: Int, openDescriptors: Int,
                                         databaseConnections: Int) throws -> HTTPConnectionLimits {
        var limits = HTTPConnectionLimits()
        if let idle = try Self.seconds(idleTimeout, "HTTP_IDLE_TIMEOUT") { limits.idleTimeout = idle }
        if let header = try Self.seconds(headerTimeout, "HTTP_HEADER_TIMEOUT") { limits.headerTimeout = header }
        if let read = try Self.seconds(readTimeout, "HTTP_READ_TIMEOUT") { limits.readTimeout = read }
        let fromEnvironment = try integer("HTTP_MAX_CONNECTIONS")
        limits.maxConnections = maxConnections ?? fromEnvironment
            ?? HTTPConnectionLimits.defaultMaxConnections(descriptorLimit: descriptorLimit, openDescriptors: openDescriptors,
                                                          databaseConnections: databaseConnections)
        try limits.check(descriptorLimit: descriptorLimit, openDescriptors: openDescriptors,
                         databaseConnections: databaseConnections)
        return limits
    }

    private func environment(_ name: String) -> String? { Self.environment(name) }

    /// An environment variable; empty counts as unset.
    public static func environment(_ name: String) -> String? {
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
    /// How long a task waits for a pooled connection.
    public func resolvedPoolTimeout() throws -> Duration {
        try Self.seconds(poolTimeout, "DATABASE_POOL_TIMEOUT") ?? .seconds(5)
    }
    public var resolvedMigrationsDirectory: String? { migrationsDirectory ?? environment("CHRONICLE_MIGRATIONS") }
}

public enum LogFormat: String, Sendable {
    case text, json
}
