import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One of our executables running on a free port against a test database.
public struct RunningService: Sendable {
    public let process: ChildProcess
    public let port: Int

    public static func start(_ name: String, database: TestDatabase, extraArguments: [String] = []) async throws
        -> RunningService {
        let process = try ChildProcess(
            TestEnvironment.binDirectory.appendingPathComponent(name),
            ["--database-url", database.conninfo, "--port", "0",
             "--migrations", TestEnvironment.migrationsDirectory.path] + extraArguments)
        // The service logs "listening port=N" once its socket is bound.
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let port = Self.port(in: process.output) { return RunningService(process: process, port: port) }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.signal(SIGKILL)
        throw TestSetupError("\(name) did not start listening within 20 s:\n\(process.output)")
    }

    static func port(in log: String) -> Int? {
        guard let range = log.range(of: "port=") else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
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
        try await LoopbackHTTP.send(port: port, method: method, path: path, headers: headers, body: body)
    }

    /// SIGTERM, then the exit status (nil if it had to be killed after 10 s).
    public func stop() async -> Int32? {
        process.signal(SIGTERM)
        return await process.wait(timeout: .seconds(10))
    }
}

public enum LoopbackHTTP {
    /// Sends a request and returns the open socket without reading the
    /// answer, so a test can walk away from it with `close(_:)`.
    public static func sendAndLeaveOpen(port: Int, request: String) throws -> Int32 {
        let fd = try connectedSocket(port: port)
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            close(fd)
            throw TestSetupError("send failed")
        }
        return fd
    }

    public static func send(port: Int, method: String, path: String, headers: [String: String] = [:],
                            body: String = "") async throws -> RunningService.HTTPAnswer {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try exchange(port: port, method: method, path: path,
                                                                headers: headers, body: body) })
            }
        }
    }

    /// A TCP socket connected to 127.0.0.1:`port` (close-on-exec: the
    /// executables under test must not inherit the tests' connections).
    public static func connectedSocket(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw TestSetupError("cannot connect to 127.0.0.1:\(port)")
        }
        return fd
    }

    private static func exchange(port: Int, method: String, path: String, headers: [String: String],
                                 body: String) throws -> RunningService.HTTPAnswer {
        let fd = try connectedSocket(port: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
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
