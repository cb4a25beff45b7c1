import EventFeed
import EventSourcing
import Foundation
public import HTTPCommon
import HTTPTypes
public import Hummingbird
import LibPQ
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /events` (API.md "Event feed"): a page of the log as JSON, or with
/// `Accept: text/event-stream` the same feed live, as Server-Sent Events.
/// Generic over every event: the contexts only lend their declared stream
/// and event types, for the filters.
///
/// A live stream is the shared `FeedFollower` writing into the response:
/// each page is written before the next is read, and a write waits while
/// the client's connection is full (Hummingbird's writer applies the
/// channel's backpressure), so a client that reads slowly holds one page
/// here and stops the reads for it. One that reads nothing for the idle
/// timeout is disconnected. Graceful shutdown ends every stream at once,
/// cleanly (the chunked body's last chunk), so the drain does not wait on
/// them; a client reconnects to another copy with `Last-Event-ID`.
struct FeedController: Sendable {
    let pool: ConnectionPool
    let vocabulary: FeedVocabulary
    let limits: FeedLimits
    let streams: FeedStreams
    let commits: FeedSignal
    let pollInterval: Duration
    let logger: Logger

    /// A stream being drained is cut if it has not ended within this
    /// (its client reads nothing), so that shutdown stays prompt.
    static let shutdownGrace: TimeAmount = .seconds(2)

    func add(to router: Router<AppRequestContext>) {
        router.get("/events") { request, context in try await serve(request, context) }
    }

    func serve(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let feedRequest = try FeedRequest(request, vocabulary: vocabulary, limits: limits)
        guard feedRequest.live else {
            let page = try await pool.withConnection { connection in
                try await EventFeed.page(after: feedRequest.after, limit: feedRequest.limit, filter: feedRequest.filter,
                                         on: connection)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: FeedJSON.page(page))))
        }
        guard streams.admit() else {
            throw ProblemDetails.unavailable(
                "this process serves its limit of \(streams.limit) live event streams; try again shortly")
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let clientGone = await context.clientGone()
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { streams.release() }
            try await stream(feedRequest, to: &writer, channel: context.channel, clientGone: clientGone)
        })
    }

    private func stream(_ request: FeedRequest, to writer: inout any ResponseBodyWriter, channel: any Channel,
                        clientGone: EventLoopFuture<Void>?) async throws {
        let stop = FeedSignal()
        let ended = Atomic(false)
        clientGone?.whenComplete { _ in stop.ring() }
        let follower = FeedFollower(pool: pool, commits: commits, pollInterval: pollInterval, pageSize: request.limit)
        let streams = streams, idleTimeout = TimeAmount(limits.idleTimeout)
        /// Writes `buffer`, disconnecting the client if it takes none of it for the idle timeout.
        func send(_ buffer: ByteBuffer) async throws {
            let watchdog = channel.eventLoop.scheduleTask(in: idleTimeout) {
                streams.closedSlowConsumer()
                channel.close(promise: nil)
            }
            defer { watchdog.cancel() }
            try await writer.write(buffer)
        }
        do {
            try await withGracefulShutdownHandler {
                try await follower.follow(after: request.after, filter: request.filter, until: stop,
                                          heartbeat: limits.heartbeat) { page in
                    try await send(ServerSentEvents.frames(page))
                    streams.sent(page.events.count)
                } idle: {
                    try await send(ServerSentEvents.heartbeat)
                }
            } onGracefulShutdown: {
                stop.ring()
                channel.eventLoop.scheduleTask(in: Self.shutdownGrace) {
                    if !ended.load(ordering: .relaxed) { channel.close(promise: nil) }
                }
            }
        } catch {
            ended.store(true, ordering: .relaxed)
            // The client went away, or was cut: nobody is left to answer.
            guard channel.isActive else { return }
            logger.warning("event stream ended by an error", metadata: ["error": "\(error)"])
            channel.close(promise: nil)
            return
        }
        try await writer.finish(nil)
        ended.store(true, ordering: .relaxed)
    }
}

/// The feed as Server-Sent Events: per Chronicle event, `id:` its cursor,
/// `event:` its type, `data:` its JSON object (one line: JSON text we write
/// holds no raw line breaks), then a blank line.
enum ServerSentEvents {
    static let heartbeat = ByteBuffer(string: ": heartbeat\n\n")

    static func frames(_ page: FeedPage) -> ByteBuffer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(page.events.count * 600)
        for event in page.events {
            bytes.append(contentsOf: "id: ".utf8)
            bytes.append(contentsOf: FeedCursor(event.position).description.utf8)
            bytes.append(contentsOf: "\nevent: ".utf8)
            // A stored type is ours and has no line break; one would end the field early.
            bytes.append(contentsOf: event.event.type.utf8.filter { $0 != 0x0A && $0 != 0x0D })
            bytes.append(contentsOf: "\ndata: ".utf8)
            FeedJSON.write(event, to: &bytes)
            bytes.append(contentsOf: "\n\n".utf8)
        }
        return ByteBuffer(bytes: bytes)
    }
}
