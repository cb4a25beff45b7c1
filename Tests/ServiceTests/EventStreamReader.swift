import Foundation
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A Server-Sent Events client over a raw loopback socket, as a browser's
/// EventSource reads `GET /events`: a thread of its own reads the response,
/// undoes the chunked framing and splits the stream into messages.
final class EventStreamReader: Sendable {
    struct Message: Sendable, Equatable {
        var id: String?
        var event: String?
        var data: String?
        /// A comment line's text (`: heartbeat`), for a message that is one.
        var comment: String?
    }

    let status: Int
    let headers: [String: String]
    private let fd: Int32
    private let state = Mutex(State())

    private struct State {
        var messages: [Message] = []
        var end: Ending?
    }

    /// `.finished`: the server ended the body with its last chunk;
    /// `.closed`: the connection ended without it.
    enum Ending: Sendable { case finished, closed }

    /// Every message so far, comments included.
    var messages: [Message] { state.withLock { $0.messages } }
    /// The events so far (messages that are not comments).
    var events: [Message] { messages.filter { $0.comment == nil } }
    /// How the stream ended, once it has.
    var end: Ending? { state.withLock { $0.end } }

    /// Connects, sends `GET path` with `Accept: text/event-stream` (and
    /// `headers`) and reads the response head.
    static func open(port: Int, path: String = "/events", headers: [String: String] = [:]) async throws -> EventStreamReader {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try EventStreamReader(port: port, path: path, headers: headers) })
            }
        }
    }

    private init(port: Int, path: String, headers requestHeaders: [String: String]) throws {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (name, value) in requestHeaders { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let fd = try LoopbackHTTP.sendAndLeaveOpen(port: port, request: request)
        self.fd = fd
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var input = SocketInput(fd: fd)
        guard let text = input.line(terminator: "\r\n\r\n"), let head = RawResponse.head(text) else {
            Glibc.close(fd)
            throw TestSetupError("no response head")
        }
        status = head.status
        headers = head.headers
        let chunked = head.headers["transfer-encoding"] == "chunked"
        let leftover = input
        Thread.detachNewThread { [self] in
            var input = leftover
            let ended = Self.read(&input, chunked: chunked) { message in state.withLock { $0.messages.append(message) } }
            state.withLock { $0.end = ended }
        }
    }

    deinit { Glibc.close(fd) }

    /// Closes the connection from the client's side (a reconnecting client
    /// drops it first).
    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Waits until the stream has ended (after `close()`, or the server's end).
    func waitForEnd(within timeout: Duration = Bound.projection) async throws -> Ending {
        try await waitFor("the event stream to end", within: timeout) { end }
    }

    /// The body's messages until it ends.
    private static func read(_ input: inout SocketInput, chunked: Bool, _ deliver: (Message) -> Void) -> Ending {
        var body: [UInt8] = []
        while true {
            if chunked {
                guard let sizeLine = input.line(terminator: "\r\n"),
                      let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else { return .closed }
                guard let chunk = input.bytes(size + 2) else { return .closed }
                if size == 0 { return .finished }
                body += chunk.prefix(size)
            } else {
                guard let more = input.some() else { return .closed }
                body += more
            }
            // Messages end at a blank line; parsed in one pass over what arrived.
            var start = 0, index = 0
            while index + 1 < body.count {
                guard body[index] == 0x0A && body[index + 1] == 0x0A else {
                    index += 1
                    continue
                }
                deliver(message(String(decoding: body[start..<index], as: UTF8.self)))
                index += 2
                start = index
            }
            body.removeFirst(start)
        }
    }

    private static func message(_ text: String) -> Message {
        var message = Message()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                message.comment = line.dropFirst().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            var value = line[line.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
            switch line[..<colon] {
            case "id": message.id = String(value)
            case "event": message.event = String(value)
            case "data": message.data = (message.data.map { $0 + "\n" } ?? "") + value
            default: break
            }
        }
        return message
    }
}

/// Buffered reads from a blocking socket.
private struct SocketInput {
    let fd: Int32
    var buffered: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Reads more into the buffer; false at the end of the connection.
    mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffered += chunk[0..<count]
        return true
    }

    /// Text up to `terminator` (consumed, not returned).
    mutating func line(terminator: String) -> String? {
        let separator = Array(terminator.utf8)
        var searched = 0
        while true {
            var index = max(0, searched - separator.count)
            while index + separator.count <= buffered.count {
                if buffered[index] == separator[0] && Array(buffered[index..<index + separator.count]) == separator {
                    let text = String(decoding: buffered[..<index], as: UTF8.self)
                    buffered.removeFirst(index + separator.count)
                    return text
                }
                index += 1
            }
            searched = buffered.count
            guard fill() else { return nil }
        }
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        while buffered.count < count { guard fill() else { return nil } }
        defer { buffered.removeFirst(count) }
        return Array(buffered[..<count])
    }

    mutating func some() -> [UInt8]? {
        if buffered.isEmpty { guard fill() else { return nil } }
        defer { buffered = [] }
        return buffered
    }
}
