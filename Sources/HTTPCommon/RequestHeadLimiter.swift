import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The first handler of a connection, before the HTTP decoder: it measures
/// each request head as the bytes arrive, so an oversized request line is a
/// 414 and an oversized header section a 431 (NIO's decoder reports both as
/// one `headerOverflow`, and only after buffering them), and it tells
/// `ConnectionGuard` when a request's first byte arrives (its header and
/// read timeouts start there).
///
/// To know where each head starts it follows the decoder: it passes the
/// bytes on in pieces that end at the request line, at the end of the head
/// and at the end of a body of known length, and after each piece reads
/// what the decoder produced (synchronously, through the guard). When the
/// two disagree (a framing it does not follow), it stops measuring for the
/// rest of the connection, and the decoder's own limits, set just above
/// ours, still apply.
final class RequestHeadLimiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        /// In a head: the request line so far (`lineBytes`) or, once it has
        /// ended, the header section so far.
        case head(HeadProgress)
        /// In a body of known length.
        case body(remaining: Int)
        /// In a chunked body: pieces end at each line, until the decoder
        /// reports the end of the message.
        case chunked
        /// Not following the framing any more; bytes pass through.
        case unsynced
        /// The connection is closing; further bytes are dropped.
        case stopped
    }

    private struct HeadProgress {
        var started = false
        var inRequestLine = true
        /// Bytes of the request line, or of the header section, so far.
        var bytes = 0
        /// Bytes of the current line so far, without its LF.
        var lineBytes = 0
        /// The line's last byte so far (a line of only CR is empty).
        var lastByte: UInt8 = 0

        /// Whether the line ending at an LF after `segment` (the bytes
        /// from the last LF, or the buffer's start, up to it) is empty.
        mutating func lineEnds(after segment: UnsafeRawBufferPointer) -> Bool {
            let before = segment.count >= 2 ? segment[segment.count - 2] : lastByte
            let length = lineBytes + segment.count - 1
            lineBytes = 0
            lastByte = 0
            return length == 0 || (length == 1 && before == UInt8(ascii: "\r"))
        }
    }

    private var phase = Phase.head(HeadProgress())
    let connectionGuard: ConnectionGuard

    init(connectionGuard: ConnectionGuard) {
        self.connectionGuard = connectionGuard
        connectionGuard.limiter = self
    }

    /// Drops everything from now on (the guard is answering and closing).
    func stop() { phase = .stopped }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        while buffer.readableBytes > 0 {
            switch phase {
            case .stopped:
                return
            case .unsynced:
                context.fireChannelRead(wrapInboundOut(buffer))
                return
            case .body(let remaining):
                let length = min(remaining, buffer.readableBytes)
                let ends = decodedEnds
                forward(buffer.readSlice(length: length)!, context: context)
                guard case .body = phase else { continue }
                if length < remaining {
                    phase = .body(remaining: remaining - length)
                } else {
                    phase = decodedEnds > ends ? .head(HeadProgress()) : .unsynced
                }
            case .chunked:
                let length = (buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n"))
                    .map { $0 - buffer.readerIndex + 1 }) ?? buffer.readableBytes
                let ends = decodedEnds
                forward(buffer.readSlice(length: length)!, context: context)
                guard case .chunked = phase else { continue }
                if decodedEnds > ends { phase = .head(HeadProgress()) }
            case .head(var progress):
                if !progress.started {
                    progress.started = true
                    phase = .head(progress)
                    connectionGuard.requestBytesArrived()
                    guard case .head = phase else { continue }
                }
                readHead(&buffer, progress, context: context)
            }
        }
    }

    /// Passes on the next piece of a head: up to the end of the request
    /// line, of the head, or of the buffer.
    private func readHead(_ buffer: inout ByteBuffer, _ start: HeadProgress, context: ChannelHandlerContext) {
        var progress = start
        let (length, outcome) = buffer.withUnsafeReadableBytes { Self.scan($0, &progress) }
        let headEnded: Bool
        switch outcome {
        case .tooLarge(let problem):
            tooLarge(problem)
            return
        case .headEnded: headEnded = true
        case .more: headEnded = false
        }
        phase = .head(progress)
        let heads = connectionGuard.decodedHeads
        let ends = connectionGuard.decodedEnds
        forward(buffer.readSlice(length: length)!, context: context)
        guard headEnded, case .head = phase else { return }
        if connectionGuard.decodedEnds > ends {
            phase = .head(HeadProgress())
        } else if connectionGuard.decodedHeads > heads {
            switch connectionGuard.lastFraming {
            case .contentLength(let length) where length > 0: phase = .body(remaining: length)
            case .chunked: phase = .chunked
            case .contentLength, .none: phase = .unsynced
            }
        } else {
            phase = .unsynced
        }
    }

    private enum ScanOutcome { case more, headEnded, tooLarge(ProblemDetails) }

    /// Reads `bytes` of a head from `progress` on: the length of the next
    /// piece to pass on (ending at the end of the request line or of the
    /// head, or all of `bytes`), and what it holds.
    private static func scan(_ bytes: UnsafeRawBufferPointer, _ progress: inout HeadProgress) -> (Int, ScanOutcome) {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let newline = memchr(rest.baseAddress!, Int32(UInt8(ascii: "\n")), rest.count)
            let segmentLength = newline.map { rest.baseAddress!.distance(to: UnsafeRawPointer($0)) + 1 } ?? rest.count
            let segment = UnsafeRawBufferPointer(rebasing: rest[..<segmentLength])
            offset += segmentLength
            progress.bytes += segmentLength
            if progress.inRequestLine, progress.bytes > HTTPConnectionLimits.maxRequestLineBytes {
                return (offset, .tooLarge(.uriTooLong))
            }
            if !progress.inRequestLine, progress.bytes > HTTPConnectionLimits.maxHeaderSectionBytes {
                return (offset, .tooLarge(.headerFieldsTooLarge))
            }
            guard newline != nil else {
                progress.lineBytes += segmentLength
                progress.lastByte = segment[segmentLength - 1]
                break
            }
            let empty = progress.lineEnds(after: segment)
            if progress.inRequestLine {
                // Empty lines before a request line are allowed and skipped.
                if empty {
                    progress.bytes = 0
                    continue
                }
                progress = HeadProgress(started: true, inRequestLine: false)
                return (offset, .more)
            }
            if empty { return (offset, .headEnded) }
        }
        return (offset, .more)
    }

    private var decodedEnds: Int { connectionGuard.decodedEnds }

    private func forward(_ piece: ByteBuffer, context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(piece))
    }

    private func tooLarge(_ problem: ProblemDetails) {
        phase = .stopped
        connectionGuard.headTooLarge(problem)
    }
}
