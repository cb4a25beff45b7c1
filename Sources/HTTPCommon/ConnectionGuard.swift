import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import UUIDKit

/// A request whose body did not arrive within the read timeout: the route
/// reading the body sees it thrown, and `ProblemMiddleware` answers 408.
public struct RequestReadTimeout: Error, Sendable {}

/// One HTTP connection's guard, between the HTTP codec and Hummingbird:
///
/// - admits the connection through `OpenConnections` (serve, refuse with
///   503, or drop) and tells it when the connection is waiting (evictable)
///   or busy;
/// - closes it when it has waited `idleTimeout` with no request in
///   progress, answers 408 when a request's head takes longer than
///   `headerTimeout` or the request longer than `readTimeout`, and closes
///   it when the client leaves a response unread for `readTimeout`;
/// - answers what goes wrong before routing (a request that is not
///   HTTP/1.1, a head over the limits) with problem+json and
///   `X-Request-Id`, then closes the connection.
///
/// Hummingbird writes one response per request, in order; the guard writes
/// its own answer only when no response is in flight, else once the last
/// one has been written.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum BodyFraming: Equatable { case none, contentLength(Int), chunked }

    /// Where the client's side of the exchange stands.
    private enum Inbound {
        /// No bytes of a next request yet.
        case betweenRequests
        /// Bytes of a request have come, its head has not been decoded.
        case head(headerDeadline: NIODeadline, readDeadline: NIODeadline)
        /// The head has been passed on, the body has not ended.
        case body(readDeadline: NIODeadline)
    }

    private enum Mode {
        case serving
        /// Over the cap: the first request is answered 503.
        case refusing
        /// An answer of ours is pending or written; the connection closes
        /// after it. Further input is dropped.
        case closing
    }

    private let limits: HTTPConnectionLimits
    private let connections: OpenConnections
    private let metrics: ConnectionMetrics?
    private let logger: Logger
    private var slot: ConnectionSlot?
    private var mode = Mode.serving
    private var inbound = Inbound.betweenRequests
    private var isWaiting = false
    private var idleDeadline: NIODeadline?
    private var writeDeadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// An answer to write once the responses in flight are written.
    private var pendingAnswer: (ProblemDetails, ConnectionMetrics.CloseReason?)?
    private var closeAfterResponses = false
    /// The response being written is a live event stream, which enforces
    /// its own limit on a client that reads nothing (the feed's idle
    /// timeout), so the write timeout does not cut it first.
    private var streamingResponse = false
    /// Our side is closed; the client's may still send (and is ignored).
    private var lingering = false

    // Counted as the decoder produced them, for `RequestHeadLimiter`.
    private(set) var decodedHeads = 0
    private(set) var decodedEnds = 0
    private(set) var lastFraming = BodyFraming.none
    /// Heads passed on to Hummingbird, and the responses it has ended.
    private var headsPassedOn = 0
    private var responsesEnded = 0

    weak var limiter: RequestHeadLimiter?
    /// This handler's own context, for what `RequestHeadLimiter` reports
    /// (its context sits before the decoder: writes there would skip the
    /// HTTP encoder).
    private var ownContext: ChannelHandlerContext?

    init(limits: HTTPConnectionLimits, connections: OpenConnections, metrics: ConnectionMetrics?, logger: Logger) {
        self.limits = limits
        self.connections = connections
        self.metrics = metrics
        self.logger = logger
    }

    private var responsesInFlight: Bool { responsesEnded < headsPassedOn }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        ownContext = context
        if context.channel.isActive { activate(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context: context)
        context.fireChannelActive()
    }

    private func activate(context: ChannelHandlerContext) {
        guard slot == nil else { return }
        let slot = ConnectionSlot(channel: context.channel)
        self.slot = slot
        switch connections.admit(slot) {
        case .serve:
            becomeWaiting(context: context)
        case .refuse:
            mode = .refusing
            // A refused connection gets its answer or goes soon.
            idleDeadline = .now() + TimeAmount(min(limits.idleTimeout, limits.headerTimeout))
            ensureTimer(context: context, at: idleDeadline!)
        case .drop:
            mode = .closing
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
        ownContext = nil
    }

    private func release() {
        timer?.cancel()
        timer = nil
        if let slot { connections.release(slot) }
        slot = nil
    }

    // MARK: Inbound

    /// The first bytes of a request have arrived (from `RequestHeadLimiter`).
    func requestBytesArrived() {
        guard case .betweenRequests = inbound, let context = ownContext else { return }
        let now = NIODeadline.now()
        let headerDeadline = now + TimeAmount(limits.headerTimeout)
        inbound = .head(headerDeadline: headerDeadline, readDeadline: now + TimeAmount(limits.readTimeout))
        idleDeadline = nil
        ensureTimer(context: context, at: headerDeadline)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            decodedHeads += 1
            lastFraming = Self.framing(of: head)
            readHead(head, context: context, data: data)
        case .body:
            if case .serving = mode { context.fireChannelRead(data) }
        case .end:
            decodedEnds += 1
            if case .body = inbound { inbound = .betweenRequests }
            if case .serving = mode { context.fireChannelRead(data) }
        }
    }

    private func readHead(_ head: HTTPRequest, context: ChannelHandlerContext, data: NIOAny) {
        let readDeadline: NIODeadline
        switch inbound {
        case .head(_, let deadline): readDeadline = deadline
        case .betweenRequests, .body: readDeadline = .now() + TimeAmount(limits.readTimeout)
        }
        inbound = .body(readDeadline: readDeadline)
        switch mode {
        case .closing:
            return
        case .refusing:
            answer(.overloaded, requestID: head.headerFields[.requestID], context: context)
        case .serving:
            if (head.path?.utf8.count ?? 0) > HTTPConnectionLimits.maxRequestTargetBytes {
                reject(.uriTooLong, context: context)
                return
            }
            if isWaiting, let slot {
                connections.busy(slot)
                isWaiting = false
            }
            headsPassedOn += 1
            context.fireChannelRead(data)
            ensureTimer(context: context, at: readDeadline)
        }
    }

    private static func framing(of head: HTTPRequest) -> BodyFraming {
        if head.headerFields[.transferEncoding] != nil { return .chunked }
        guard let length = head.headerFields[.contentLength] else { return .none }
        return Int(length).map(BodyFraming.contentLength) ?? .chunked
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let problem = Self.problem(for: error) else {
            context.fireErrorCaught(error)
            return
        }
        if case .closing = mode { return }
        if case .body = inbound {
            guard responsesInFlight else {
                // The route has answered already; a second answer would have no request.
                close(context: context, reason: nil, "malformed body after the response")
                return
            }
            // The route is reading the body: it sees the error and answers 400.
            closeAfterResponses = true
            limiter?.stop()
            mode = .closing
            context.fireErrorCaught(error)
            return
        }
        reject(problem, context: context)
    }

    /// What an error raised while decoding a request means for its client;
    /// nil for errors that are not about the request (the connection failing).
    static func problem(for error: any Error) -> ProblemDetails? {
        switch error {
        case HTTPParserError.headerOverflow:
            return .headerFieldsTooLarge
        case let error as HTTPParserError:
            return .badRequest("the request is not valid HTTP/1.1 (\(error))")
        case is HTTP1TypeConversionError:
            return .badRequest("the request line is not valid")
        default:
            return nil
        }
    }

    /// A request head too large (from `RequestHeadLimiter`).
    func headTooLarge(_ problem: ProblemDetails) {
        guard let context = ownContext else { return }
        if case .closing = mode { return }
        reject(problem, context: context)
    }

    /// Answers `problem` once no response is in flight, then closes.
    private func reject(_ problem: ProblemDetails, reason: ConnectionMetrics.CloseReason? = nil,
                        context: ChannelHandlerContext) {
        limiter?.stop()
        if responsesInFlight {
            mode = .closing
            pendingAnswer = (problem, reason)
        } else {
            if let reason { metrics?.closed(reason) }
            answer(problem, requestID: nil, context: context)
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response):
            streamingResponse = response.headerFields[.contentType]?.hasPrefix("text/event-stream") ?? false
            guard closeAfterResponses else {
                context.write(data, promise: promise)
                return
            }
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
            return
        case .body:
            context.write(data, promise: promise)
            return
        case .end:
            streamingResponse = false
        }
        responsesEnded += 1
        guard !responsesInFlight else {
            context.write(data, promise: promise)
            return
        }
        if let (problem, reason) = pendingAnswer {
            pendingAnswer = nil
            context.write(data, promise: promise)
            if let reason { metrics?.closed(reason) }
            answer(problem, requestID: nil, context: context)
        } else if closeAfterResponses {
            closeAfterWriting(data, promise: promise, context: context)
        } else {
            context.write(data, promise: promise)
            if case .betweenRequests = inbound { becomeWaiting(context: context) }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeDeadline = nil
        } else if writeDeadline == nil && !streamingResponse {
            writeDeadline = .now() + TimeAmount(limits.readTimeout)
            ensureTimer(context: context, at: writeDeadline!)
        }
        context.fireChannelWritabilityChanged()
    }

    private func becomeWaiting(context: ChannelHandlerContext) {
        if !isWaiting, let slot {
            connections.waiting(slot)
            isWaiting = true
        }
        idleDeadline = .now() + TimeAmount(limits.idleTimeout)
        ensureTimer(context: context, at: idleDeadline!)
    }

    /// Writes `problem` as the answer to the request at hand, then closes.
    private func answer(_ problem: ProblemDetails, requestID given: String?, context: ChannelHandlerContext) {
        mode = .closing
        limiter?.stop()
        metrics?.rejected(status: problem.statusCode)
        let requestID = given.flatMap { RequestIDMiddleware.isAcceptable($0) ? $0 : nil } ?? UUID.random().lowercasedString
        let body = (try? problem.body()) ?? ByteBuffer()
        var fields = problem.responseHeaders
        fields[.contentLength] = String(body.readableBytes)
        fields[.connection] = "close"
        fields[.requestID] = requestID
        logger.info("request rejected before routing", metadata: [
            "request_id": "\(requestID)", "status": "\(problem.statusCode)", "detail": "\(problem.detail ?? "")",
        ])
        context.write(wrapOutboundOut(.head(HTTPResponse(status: problem.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        closeAfterWriting(wrapOutboundOut(.end(nil)), promise: nil, context: context)
    }

    /// Writes and flushes `data`, then closes: first our side only, so that
    /// a client still sending (a head over the limits, a body we will not
    /// read) gets the answer rather than a reset, then the whole connection
    /// when the client closes its side, or after `lingerTime`.
    private func closeAfterWriting(_ data: NIOAny, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        mode = .closing
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenComplete { [self] _ in
            lingering = true
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) { context.close(promise: nil) }
        }
        context.writeAndFlush(data, promise: written)
    }

    /// How long a connection we answered and closed may go on sending.
    static let lingerTime = TimeAmount.seconds(2)

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if lingering, case .some(.inputClosed) = event as? ChannelEvent {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Timers

    /// One scheduled check per connection, at its nearest deadline; a check
    /// that finds nothing due reschedules itself.
    private func ensureTimer(context: ChannelHandlerContext, at deadline: NIODeadline) {
        if let timerDeadline, timerDeadline <= deadline, timer != nil { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            checkDeadlines(context: context)
        }
    }

    private func checkDeadlines(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let now = NIODeadline.now()
        var next: NIODeadline?
        func due(_ deadline: NIODeadline?) -> Bool {
            guard let deadline else { return false }
            if deadline <= now { return true }
            next = min(next ?? deadline, deadline)
            return false
        }

        if due(writeDeadline), !context.channel.isWritable {
            close(context: context, reason: .writeTimeout, "the client left a response unread")
            return
        }
        switch inbound {
        case .head(let headerDeadline, let readDeadline):
            if due(headerDeadline) || due(readDeadline) {
                if case .closing = mode { break }
                headTimedOut(context: context)
                return
            }
        case .body(let readDeadline):
            if due(readDeadline) {
                readTimedOut(context: context)
                return
            }
        case .betweenRequests:
            if !responsesInFlight, due(idleDeadline) {
                close(context: context, reason: .idleTimeout, "idle")
                return
            }
        }
        if let next { ensureTimer(context: context, at: next) }
    }

    /// The head did not arrive in time: answered 408.
    private func headTimedOut(context: ChannelHandlerContext) {
        inbound = .betweenRequests
        reject(.requestTimeout("the request head did not arrive within \(limits.headerTimeout)"),
               reason: .headerTimeout, context: context)
    }

    /// The body did not arrive in time: the route reading it sees
    /// `RequestReadTimeout` and answers 408; the connection closes after.
    private func readTimedOut(context: ChannelHandlerContext) {
        metrics?.closed(.readTimeout)
        inbound = .betweenRequests
        limiter?.stop()
        guard responsesInFlight else {
            close(context: context, reason: nil, "read timeout")
            return
        }
        mode = .closing
        closeAfterResponses = true
        context.fireErrorCaught(RequestReadTimeout())
    }

    private func close(context: ChannelHandlerContext, reason: ConnectionMetrics.CloseReason?, _ why: String) {
        if let reason { metrics?.closed(reason) }
        logger.debug("closing connection", metadata: ["reason": "\(why)"])
        mode = .closing
        limiter?.stop()
        context.close(promise: nil)
    }
}
