import EventFeed
import EventSourcing
import Foundation
import HTTPCommon
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    /// The last cursor a reconnecting SSE client saw (EventSource sends it).
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// `GET /events` read into what to serve. A malformed cursor, in `after` or
/// `Last-Event-ID`, is a 400; a bad `limit` and filter values that name no
/// declared type are one 422 naming each.
struct FeedRequest: Sendable {
    var after: FeedCursor
    var limit: Int
    var filter: EventFilter
    /// `Accept: text/event-stream`: a live stream rather than one page.
    var live: Bool

    init(_ request: Request, vocabulary: FeedVocabulary, limits: FeedLimits) throws {
        live = Self.acceptsEventStream(request.headers[values: .accept])
        var parameters = QueryParameters(request)
        after = .start
        // A reconnecting client resends its first URL too: the header it adds is the newer cursor.
        let lastEventIDs = request.headers[values: .lastEventID].filter { !$0.isEmpty }
        if let text = lastEventIDs.first {
            guard lastEventIDs.count == 1, let cursor = FeedCursor(text) else {
                throw ProblemDetails.badRequest("Last-Event-ID must be one cursor of this feed (an event's id), sent once.")
            }
            after = cursor
        } else if let text = parameters.text("after") {
            guard let cursor = FeedCursor(text) else {
                throw ProblemDetails.badRequest(
                    "after must be a cursor of this feed (an event's cursor, or a page's next), as it was given.")
            }
            after = cursor
        }
        // A stream reads as much at a time as it may: a page is only what one read brings.
        limit = parameters.integer("limit", default: live ? limits.maxLimit : limits.defaultLimit, in: 1...limits.maxLimit)
        filter = .everything
        switch vocabulary.filter(streamTypes: parameters.all("stream_type"), eventTypes: parameters.all("event_type")) {
        case .success(let filter):
            self.filter = filter
        case .failure(let unknown):
            for name in unknown.streamTypes {
                parameters.problem("stream_type", "'\(name)' is not a stream type; known: "
                                   + vocabulary.streamTypes.sorted().joined(separator: ", "))
            }
            for name in unknown.eventTypes {
                parameters.problem("event_type", "'\(name)' is not an event type; known: "
                                   + vocabulary.eventTypes.sorted().joined(separator: ", "))
            }
        }
        try parameters.validated()
    }

    /// Whether an `Accept` header lists `text/event-stream` (with a
    /// quality above 0).
    static func acceptsEventStream(_ values: [String]) -> Bool {
        values.flatMap { $0.split(separator: ",") }.contains { range in
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.first == "text/event-stream" else { return false }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }
}
