public import EventSourcing
public import Foundation
public import Wire

/// What a handler needs besides the command: where to load and append, the
/// caller's `If-Match`, the metadata to stamp on events, and the time.
public struct CommandContext: Sendable {
    public var store: any EventStore
    public var precondition: VersionPrecondition
    public var metadata: EventMetadata
    public var now: Date

    /// How many times a command without `If-Match` is re-decided after a
    /// concurrent append to its stream before the caller is told to retry.
    static let maxAttempts = 5

    /// Loads `stream`, decides `command` and appends, with the rules of
    /// `VersionPrecondition`; `created` says the command makes the stream
    /// (then any `If-Match` fails: no current version can match, RFC 9110
    /// §13.1.1). The reply names the resource as `resource` says.
    public func run<D: Decider>(
        _ decider: D.Type, _ codec: EventCodec<D.Event>, _ command: D.Command, on stream: StreamName,
        as resource: CommandReply.Resource, created: Bool = false,
        claims: @escaping @Sendable ([D.Event]) -> [UniqueClaim] = { _ in [] },
        requiring required: [RequiredStream] = []
    ) async throws -> CommandReply {
        let runner = CommandRunner<D>(store: store, codec: codec, maxAttempts: Self.maxAttempts)
        let ifMatch: Int? = switch precondition {
        case .version(let version): version
        case .none, .exists: nil
        }
        if created, precondition != .none {
            throw CommandRunError.preconditionFailed(expected: ifMatch ?? -1, actual: 0)
        }
        let outcome: CommandOutcome<D.Event>
        do {
            outcome = try await runner.run(command, on: stream, streamIsNew: created, ifMatch: ifMatch,
                                           metadata: metadata, claims: claims, requiring: required.map(\.stream))
        } catch CommandRunError.requiredStreamMissing(let missing) {
            guard let reference = required.first(where: { $0.stream == missing }) else {
                throw CommandRunError.requiredStreamMissing(missing)
            }
            throw CommandInputRejected(problem: reference.problem)
        }
        return CommandReply(resource: resource, created: created, version: outcome.streamVersion,
                            position: outcome.position)
    }

    /// The current state of `stream`, for a handler that checks another
    /// aggregate before deciding (does the stream a new one refers to exist?).
    public func load<D: Decider>(_ decider: D.Type, _ codec: EventCodec<D.Event>, _ stream: StreamName) async throws -> D.State {
        try await CommandRunner<D>(store: store, codec: codec).load(stream).state
    }
}

/// A stream a command's events refer to (the group a new member joins),
/// which must hold an event when they are appended, and the problem to report
/// on the request's fields when it does not. The store checks it in the
/// append's own round trip, so the handler needs no read of that stream first.
public struct RequiredStream: Sendable {
    public var stream: StreamName
    public var problem: RequestProblem

    public init(_ stream: StreamName, else problem: RequestProblem) {
        self.stream = stream
        self.problem = problem
    }
}

/// `If-Match` as the handlers see it.
public enum VersionPrecondition: Sendable, Equatable {
    /// No header: conflicts are retried.
    case none
    /// `If-Match: *`: the aggregate must exist; conflicts are retried.
    case exists
    /// `If-Match: "3"`: the aggregate must be at exactly this version.
    case version(Int)
}

/// What a successful command produced, for the HTTP answer.
public struct CommandReply: Sendable, Equatable {
    /// How the answer names what the command acted on: the body's id field
    /// (`"<name>_id": "…"`) and, for a create, the `Location`.
    public struct Resource: Sendable, Equatable {
        public var idField: String
        public var id: String
        public var location: String

        public init(idField: String, id: String, location: String) {
            self.idField = idField
            self.id = id
            self.location = location
        }
    }

    public var resource: Resource
    public var created: Bool
    public var version: Int
    public var position: LogPosition
}

/// A command the domain accepted in form but the current state refuses for a
/// reason to report on the request's fields (a body's reference to a stream
/// that does not exist: a 422 on that field).
public struct CommandInputRejected: Error, Sendable {
    public var problem: RequestProblem

    public init(problem: RequestProblem) {
        self.problem = problem
    }
}
