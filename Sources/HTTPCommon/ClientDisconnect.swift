import Hummingbird
import HummingbirdCore
public import NIOCore

/// Notices that a client went away while its request is still being
/// handled. Hummingbird does not cancel a handler whose client closed the
/// connection, and its server allows half-closed connections, so the close
/// shows up only as `inputClosed` (or the channel going inactive) in the
/// pipeline. This handler turns that into a future a long wait can end on.
/// A client that merely half-closes after sending its request is treated as
/// gone too: it still gets an answer, only without the rest of the wait.
public final class ClientDisconnectHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // Parts pass through untouched (never unwrapped), whatever their type.
    public typealias InboundIn = Any
    public typealias InboundOut = Any

    private var promise: EventLoopPromise<Void>?

    public init() {}

    /// Completes when the client's side of the connection is closed.
    public var clientGone: EventLoopFuture<Void>? { promise?.futureResult }

    public func handlerAdded(context: ChannelHandlerContext) {
        promise = context.eventLoop.makePromise()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        promise?.succeed()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent { promise?.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        promise?.succeed()
        context.fireChannelInactive()
    }
}

extension AppRequestContext {
    /// Completes when this request's client has gone away (nil if the
    /// server was built without `HTTPServerBuilder.chronicle`, as in
    /// router-only tests).
    public func clientGone() async -> EventLoopFuture<Void>? {
        try? await channel.pipeline.handler(type: ClientDisconnectHandler.self).map { $0.clientGone }.get()
    }
}
