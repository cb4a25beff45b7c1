import Hummingbird
public import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

extension HTTPServerBuilder {
    /// HTTP/1.1 as our services serve it, with default limits: see
    /// `chronicle(limits:connections:metrics:)`.
    public static var chronicle: HTTPServerBuilder {
        let limits = HTTPConnectionLimits()
        return chronicle(limits: limits, connections: OpenConnections(limits))
    }

    /// HTTP/1.1 as our services serve it: each connection guarded by
    /// `RequestHeadLimiter` and `ConnectionGuard` (timeouts, the cap in
    /// `connections`, problem+json for what fails before routing), and
    /// `ClientDisconnectHandler` for waits that end when the client goes.
    public static func chronicle(limits: HTTPConnectionLimits, connections: OpenConnections,
                                 metrics: ConnectionMetrics? = nil) -> HTTPServerBuilder {
        // The decoder's own limits sit just above ours: they apply only where
        // RequestHeadLimiter stops following a connection's framing.
        let decoderLimit = HTTPConnectionLimits.maxRequestLineBytes + HTTPConnectionLimits.maxHeaderSectionBytes
        let configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ClientDisconnectHandler()],
            idleTimeout: nil,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: decoderLimit, maxHeaderListSize: decoderLimit))
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http1: HTTP1Channel(responder: responder, configuration: configuration),
                                limits: limits, connections: connections, metrics: metrics)
        }
    }
}

/// Hummingbird's HTTP/1.1 channel with `RequestHeadLimiter` in front of the
/// decoder and `ConnectionGuard` behind the codec.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let limits: HTTPConnectionLimits
    let connections: OpenConnections
    let metrics: ConnectionMetrics?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let limits = limits, connections = connections, metrics = metrics, http1 = http1
        return channel.eventLoop.makeCompletedFuture {
            let connectionGuard = ConnectionGuard(limits: limits, connections: connections, metrics: metrics,
                                                  logger: logger)
            try channel.pipeline.syncOperations.addHandler(RequestHeadLimiter(connectionGuard: connectionGuard))
        }.flatMap {
            http1.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let connectionGuard = try pipeline.handler(type: RequestHeadLimiter.self).connectionGuard
            try pipeline.addHandler(connectionGuard, position: .before(pipeline.handler(type: HTTPConnectionStateHandler.self)))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
