import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One of our executables running on a free port against a test database.
public struct RunningService: Sendable {
    public let process: ChildProcess
    public let port: Int
    /// The address it listens on.
    public var host = "127.0.0.1"

    public static func start(_ name: String, database: TestDatabase, extraArguments: [String] = []) async throws
        -> RunningService {
        try await start(name, arguments: ["--database-url", database.conninfo, "--port", "0",
                                          "--migrations", TestEnvironment.migrationsDirectory.path] + extraArguments)
    }

    /// Starts `name` with exactly these arguments and environment, and
    /// waits for the "listening port=N" line it logs once its socket is bound.
    public static func start(_ name: String, arguments: [String], environment: [String: String] = [:],
                             unsetting: [String] = []) async throws -> RunningService {
        let process = try ChildProcess(TestEnvironment.binDirectory.appendingPathComponent(name), arguments,
                                       environment: environment, unsetting: unsetting)
        do {
            let port = try await waitFor("\(name) listening", within: Bound.startup, every: .milliseconds(50)) {
                Self.port(in: process.output)
            }
            return RunningService(process: process, port: port)
        } catch {
            process.signal(SIGKILL)
            throw TestSetupError("\(name) did not start listening within \(Bound.startup):\n\(process.output)")
        }
    }

    /// Starts `name` on a port chosen here, for settings under which it
    /// does not log its port (a log level above info): waits until the port
    /// accepts connections.
    public static func start(_ name: String, onPort port: Int, host: String = "127.0.0.1", arguments: [String] = [],
                             environment: [String: String] = [:], unsetting: [String] = []) async throws
        -> RunningService {
        let process = try ChildProcess(TestEnvironment.binDirectory.appendingPathComponent(name), arguments,
                                       environment: environment, unsetting: unsetting)
        do {
            try await waitUntil("\(name) accepting on \(host):\(port)", within: Bound.startup, every: .milliseconds(50)) {
                LoopbackHTTP.accepts(host: host, port: port)
            }
            return RunningService(process: process, port: port, host: host)
        } catch {
            process.signal(SIGKILL)
            throw TestSetupError("\(name) did not accept connections on \(host):\(port) within \(Bound.startup):\n\(process.output)")
        }
    }

    /// The port of the "listening" line, in text (`port=N`) or JSON (`"port":"N"`).
    static func port(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("listening") {
            guard let range = line.range(of: "port=") ?? line.range(of: #""port":""#) else { continue }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        return nil
    }

    /// Waits until the process has logged a line containing every one of `fragments`.
    public func waitForLog(_ fragments: String..., within timeout: Duration = Bound.projection) async throws {
        try await waitUntil("a log line with \(fragments)", within: timeout) {
            process.output.split(separator: "\n").contains { line in fragments.allSatisfy { line.contains($0) } }
        }
    }

    public struct HTTPAnswer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    public func get(_ path: String) async throws -> HTTPAnswer {
        try await request("GET", path)
    }

    /// A minimal HTTP/1.1 client over a plain socket: enough for tests of
    /// separate processes, with no client library to build.
    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String = "")
        async throws -> HTTPAnswer {
        try await LoopbackHTTP.send(host: host, port: port, method: method, path: path, headers: headers, body: body)
    }

    /// SIGTERM, then the exit status (nil if it had to be killed after the
    /// drain bound).
    public func stop() async -> Int32? {
        process.signal(SIGTERM)
        return await process.wait(timeout: Bound.drain)
    }

    /// The process is no longer accepting connections (it closed its
    /// listener, as a draining server does, or it is gone).
    public var refusesConnections: Bool { !LoopbackHTTP.accepts(host: host, port: port) }
}

public enum LoopbackHTTP {
    /// Sends a request and returns the open socket without reading the
    /// answer, so a test can walk away from it with `close(_:)`.
    public static func sendAndLeaveOpen(port: Int, request: String) throws -> Int32 {
        let fd = try connectedSocket(host: "127.0.0.1", port: port)
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            close(fd)
            throw TestSetupError("send failed")
        }
        return fd
    }

    public static func send(host: String = "127.0.0.1", port: Int, method: String, path: String,
                            headers: [String: String] = [:], body: String = "") async throws -> RunningService.HTTPAnswer {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try exchange(host: host, port: port, method: method, path: path,
                                                                headers: headers, body: body) })
            }
        }
    }

    /// Whether something accepts TCP connections on `host`:`port`.
    public static func accepts(host: String = "127.0.0.1", port: Int) -> Bool {
        guard let fd = try? connectedSocket(host: host, port: port) else { return false }
        close(fd)
        return true
    }

    /// A port nothing listens on now, picked by the kernel (it may be taken
    /// again before the caller binds it, which only makes that start fail).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw TestSetupError("cannot bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A TCP socket connected to `host`:`port` (close-on-exec: the
    /// executables under test must not inherit the tests' connections).
    public static func connectedSocket(host: String = "127.0.0.1", port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw TestSetupError("cannot connect to \(host):\(port)")
        }
        return fd
    }

    private static func exchange(host: String, port: Int, method: String, path: String, headers: [String: String],
                                 body: String) throws -> RunningService.HTTPAnswer {
        let fd = try connectedSocket(host: host, port: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        var allHeaders = headers
        if !body.isEmpty || ["POST", "PUT"].contains(method) {
            allHeaders["Content-Length"] = String(body.utf8.count)
            if allHeaders["Content-Type"] == nil { allHeaders["Content-Type"] = "application/json" }
        }
        for (name, value) in allHeaders { request += "\(name): \(value)\r\n" }
        request += "\r\n" + body
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestSetupError("send failed") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw TestSetupError("malformed HTTP response: \(text)") }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw TestSetupError("malformed status line: \(head.first ?? "")")
        }
        var headerMap: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headerMap[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return RunningService.HTTPAnswer(status: status, headers: headerMap, body: String(text[split.upperBound...]))
    }
}
