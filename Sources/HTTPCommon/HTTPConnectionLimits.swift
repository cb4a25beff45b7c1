import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How long a connection may take over each part of its life, how large a
/// request head may be, and how many connections a process serves at once
/// (README "Connections and limits").
public struct HTTPConnectionLimits: Sendable, Equatable {
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration
    /// A request's head must arrive within this of its first byte (else 408).
    public var headerTimeout: Duration
    /// A whole request, head and body, must arrive within this of its first
    /// byte (else 408); a client that leaves a response unread this long is
    /// disconnected.
    public var readTimeout: Duration
    /// Connections served at once. Over it, a new connection takes the place
    /// of the one that has waited longest without a request in progress;
    /// when every connection is busy, it gets a 503.
    public var maxConnections: Int

    public static let defaultIdleTimeout: Duration = .seconds(75)
    public static let defaultHeaderTimeout: Duration = .seconds(10)
    public static let defaultReadTimeout: Duration = .seconds(30)
    public static let defaultMaxConnections = 4096

    /// The longest request target (path and query) served; longer is a 414.
    public static let maxRequestTargetBytes = 8 * 1024
    /// The largest header section (every field line as sent, with its line
    /// end) served; larger is a 431. API.md asks for at least 16 KiB of fields.
    public static let maxHeaderSectionBytes = 32 * 1024
    /// Room for the method, spaces and version around the target.
    static let requestLineSlack = 32
    static var maxRequestLineBytes: Int { maxRequestTargetBytes + requestLineSlack }

    public init(idleTimeout: Duration = defaultIdleTimeout, headerTimeout: Duration = defaultHeaderTimeout,
                readTimeout: Duration = defaultReadTimeout, maxConnections: Int = defaultMaxConnections) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.readTimeout = readTimeout
        self.maxConnections = maxConnections
    }

    /// Connections over the cap that are still answered with a 503 (instead
    /// of being closed unanswered) while every served connection is busy.
    public var refusalAllowance: Int { max(8, maxConnections / 8) }

    /// Descriptors the HTTP connections can take at most.
    public var descriptorsNeeded: Int { maxConnections + refusalAllowance }

    /// Descriptors a process keeps for everything but HTTP connections: its
    /// database connections, listeners, logs, event loops, and files the
    /// runtime opens (libdispatch reads /proc/<tid>/stat and crashes when it
    /// cannot).
    public static func reservedDescriptors(databaseConnections: Int) -> Int { databaseConnections + 128 }

    /// The default cap: 4096, or less where the descriptors left under the
    /// limit (`descriptorLimit` minus the `openDescriptors` already in use)
    /// leave less room.
    public static func defaultMaxConnections(descriptorLimit: Int, openDescriptors: Int, databaseConnections: Int) -> Int {
        let room = descriptorLimit - openDescriptors - reservedDescriptors(databaseConnections: databaseConnections)
        return min(defaultMaxConnections, room * 8 / 9)
    }

    /// Throws unless `maxConnections` (with its refusal allowance) fits in
    /// the descriptors left under the limit, next to the reserved ones.
    public func check(descriptorLimit: Int, openDescriptors: Int, databaseConnections: Int) throws {
        let reserved = Self.reservedDescriptors(databaseConnections: databaseConnections)
        let room = descriptorLimit - openDescriptors - reserved
        guard maxConnections >= 1, descriptorsNeeded <= room else {
            throw HTTPLimitsError(
                "HTTP_MAX_CONNECTIONS \(maxConnections) needs \(descriptorsNeeded) descriptors, but the limit of "
                    + "\(descriptorLimit) open files, with \(openDescriptors) open and \(reserved) kept for the database "
                    + "pool and the process, leaves \(max(room, 0)); raise the limit (ulimit -n) or lower HTTP_MAX_CONNECTIONS")
        }
    }
}

public struct HTTPLimitsError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`).
public enum DescriptorLimit {
    /// The soft limit now in force.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        return clamp(limit.rlim_cur)
    }

    /// Descriptors open now (inherited ones included), where the system
    /// tells (`/proc/self/fd`, `/dev/fd`); 0 where it does not.
    public static var openCount: Int {
        for directory in ["/proc/self/fd", "/dev/fd"] {
            // The listing itself holds one descriptor while it runs.
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) {
                return max(0, entries.count - 1)
            }
        }
        return 0
    }

    /// Raises the soft limit to the hard limit (the usual soft default of
    /// 1024 is far below what a server needs) and returns the limit now in
    /// force.
    @discardableResult
    public static func raiseToHard() -> Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return current }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) != 0 {
                // macOS refuses an infinite hard limit above OPEN_MAX.
                raised.rlim_cur = rlim_t(min(UInt64(limit.rlim_max), 10_240))
                _ = setrlimit(resource, &raised)
            }
        }
        return current
    }

    private static func clamp(_ value: rlim_t) -> Int {
        value >= rlim_t(Int32.max) ? Int(Int32.max) : Int(value)
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
