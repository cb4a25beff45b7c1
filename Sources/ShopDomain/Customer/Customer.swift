public import Wire
public import EventSourcing
public import Foundation

/// A customer: registered once with a name and an email, renamed at will.
/// The email's uniqueness across customers is not decided here (one stream
/// cannot see the others) but claimed with the append: see `claims(for:)`.
public enum Customer: Decider {
    public static let streamType = "customer"
    /// The store refuses a second stream claiming the same normalised email.
    public static let emailClaimScope = "customer-email"

    public static func stream(_ id: CustomerID) -> StreamName {
        StreamName(type: streamType, id: id.uuid)
    }

    public struct State: Equatable, Sendable {
        public internal(set) var name: PersonName?
        public internal(set) var email: Email?
        public internal(set) var registeredAt: Date?
        public internal(set) var updatedAt: Date?

        public var isRegistered: Bool { registeredAt != nil }
    }

    public enum Command: Equatable, Sendable {
        case register(name: PersonName, email: Email, at: Date)
        case rename(name: PersonName, at: Date)
    }

    public enum Event: Equatable, Sendable {
        case registered(name: PersonName, email: Email, at: Date)
        case renamed(name: PersonName, at: Date)

        /// When the event happened (the command's time).
        public var at: Date {
            switch self {
            case .registered(_, _, let at), .renamed(_, let at): at
            }
        }
    }

    public enum Rejection: DomainRejection, Equatable, Sendable {
        case alreadyRegistered
        case notFound

        public var kind: RejectionKind { self == .notFound ? .notFound : .conflict }

        public var description: String {
            switch self {
            case .alreadyRegistered: "The customer is already registered."
            case .notFound: "No such customer."
            }
        }
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event] {
        switch (command, state.isRegistered) {
        case let (.register(name, email, at), false): [.registered(name: name, email: email, at: at)]
        case (.register, true): throw .alreadyRegistered
        case (.rename, false): throw .notFound
        // Renaming to the current name still records an event: the client
        // asked for a write and gets a new version, as for any other command.
        case let (.rename(name, at), true): [.renamed(name: name, at: at)]
        }
    }

    public static func evolve(_ state: State, _ event: Event) -> State {
        var state = state
        switch event {
        case let .registered(name, email, at):
            state.name = name
            state.email = email
            state.registeredAt = at
        case let .renamed(name, _):
            state.name = name
        }
        state.updatedAt = event.at
        return state
    }

    /// The unique values the events take: a registration claims its email,
    /// case-insensitively. Pass this as the runner's `claims:`.
    public static func claims(for events: [Event]) -> [UniqueClaim] {
        events.compactMap { event in
            guard case let .registered(_, email, _) = event else { return nil }
            return UniqueClaim(scope: emailClaimScope, value: email.normalized)
        }
    }
}
