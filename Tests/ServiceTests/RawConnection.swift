import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP connection driven byte by byte, for what an HTTP client
/// library would never send: half requests, oversized heads, garbage. Its
/// blocking calls run on threads of their own: on the cooperative pool a
/// connect to a full backlog would stall the in-process servers' handlers
/// (and so their timings) for seconds.
final class RawConnection: @unchecked Sendable {
    let fd: Int32
    /// Bytes received after the last response read (pipelined answers).
    private var pending: [UInt8] = []

    static func open(port: Int) async throws -> RawConnection {
        try await offThePool { try RawConnection(port: port) }
    }

    /// `count` connections, opened one after another on one thread.
    static func open(port: Int, count: Int) async throws -> [RawConnection] {
        try await offThePool { try (0..<count).map { _ in try RawConnection(port: port) } }
    }

    /// A connection whose first bytes go out right after the connect, on
    /// the same thread: no scheduling gap for a short idle timeout to fall
    /// into between the two.
    static func open(port: Int, sending first: String) async throws -> RawConnection {
        try await offThePool {
            let connection = try RawConnection(port: port)
            guard send(Array(first.utf8), on: connection.fd) else {
                throw TestSetupError("the server closed the connection before its first bytes were sent")
            }
            return connection
        }
    }

    private init(port: Int) throws {
        fd = try LoopbackHTTP.connectedSocket(port: port)
    }

    deinit { Glibc.close(fd) }

    /// Sends all of `bytes`; false if the server has closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) async -> Bool {
        let fd = fd
        return await offThePool { Self.send(bytes, on: fd) }
    }

    @discardableResult
    func send(_ text: String) async -> Bool { await send(Array(text.utf8)) }

    private static func send(_ bytes: [UInt8], on fd: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    struct Received: Sendable {
        var bytes: [UInt8]
        /// The server closed (or reset) the connection.
        var closed: Bool
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Reads until the server closes the connection, `enough` says the
    /// bytes so far suffice, or `timeout` passes.
    func receive(timeout: Duration, until enough: @escaping @Sendable ([UInt8]) -> Bool = { _ in false }) async -> Received {
        let fd = fd
        return await offThePool {
                let deadline = ContinuousClock.now + timeout
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let left = deadline - ContinuousClock.now
                    guard left > .zero else { break }
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let millis = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                    let ready = poll(&poller, 1, millis)
                    if ready < 0, errno == EINTR { continue }
                    guard ready > 0 else { continue }
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { return Received(bytes: bytes, closed: true) }
                    bytes.append(contentsOf: buffer[0..<n])
                    if enough(bytes) { break }
                }
                return Received(bytes: bytes, closed: false)
        }
    }

    /// Reads one whole response (head and `Content-Length` body).
    func response(timeout: Duration = .seconds(20)) async throws -> RawResponse {
        var bytes = pending
        if RawResponse.parse(bytes)?.length == nil {
            let earlier = bytes
            let received = await receive(timeout: timeout) { RawResponse.parse(earlier + $0)?.length != nil }
            bytes += received.bytes
        }
        guard let (response, length) = RawResponse.parse(bytes), let length else {
            throw TestSetupError("no complete response within \(timeout): \(String(decoding: bytes, as: UTF8.self))")
        }
        pending = Array(bytes[length...])
        return response
    }

    /// Waits for the server to close the connection; what it sent before.
    func closedByServer(within timeout: Duration) async -> Received? {
        let received = await receive(timeout: timeout)
        return received.closed ? received : nil
    }
}

struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    /// The first response in `bytes`, and its length once it is complete.
    static func parse(_ bytes: [UInt8]) -> (RawResponse, length: Int?)? {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            return nil
        }
        guard let (status, headers) = head(String(decoding: bytes[..<end], as: UTF8.self)) else { return nil }
        let bodyStart = end + 4
        let length = headers["content-length"].flatMap(Int.init) ?? 0
        let body = String(decoding: bytes[bodyStart..<min(bytes.count, bodyStart + length)], as: UTF8.self)
        let complete = bytes.count >= bodyStart + length
        return (RawResponse(status: status, headers: headers, body: body), complete ? bodyStart + length : nil)
    }

    /// A response head's status and fields (names lower-cased), from its
    /// text without the blank line that ends it.
    static func head(_ text: String) -> (status: Int, headers: [String: String])? {
        let lines = text.components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    /// The problem+json body's `status`, nil if the body is not one.
    var problemStatus: Int? {
        guard headers["content-type"] == "application/problem+json",
              let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return nil }
        return object["status"] as? Int
    }
}

/// Runs `body` on a thread of its own.
private func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

private func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
