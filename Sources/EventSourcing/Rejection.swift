/// What kind of refusal a domain's rejection is, in the domain's own terms.
/// The HTTP layer maps each kind to one status in one place, so a context
/// never names a status.
public enum RejectionKind: Sendable, Equatable {
    /// The command names something that does not exist.
    case notFound
    /// The command conflicts with the state as it stands: a transition the
    /// life cycle does not have, a limit reached, a unique value taken.
    case conflict
}

/// A decider's reason to refuse a command, describing itself: its kind, and
/// a `description` written for a person (it becomes a problem's `detail`).
public protocol DomainRejection: Error, CustomStringConvertible {
    var kind: RejectionKind { get }
}

/// A refusal that is not one decider's: an email another stream already
/// claimed, a related aggregate that does not exist.
public struct CommandRefused: DomainRejection, Equatable {
    public var kind: RejectionKind
    public var description: String

    public init(_ kind: RejectionKind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
