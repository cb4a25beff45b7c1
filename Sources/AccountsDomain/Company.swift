public import EventSourcing
public import Foundation

/// A company: created inactive under a name, then activated and deactivated
/// in turn, and renamed at will. Its users point at it from their own
/// streams; the company's stream does not list them.
public enum Company: Decider {
    public static let streamType = "company"

    public static func stream(_ id: CompanyID) -> StreamName {
        StreamName(type: streamType, id: id.uuid)
    }

    public struct State: Equatable, Sendable {
        public internal(set) var name: AccountName?
        public internal(set) var active = false
        public internal(set) var createdAt: Date?
        public internal(set) var updatedAt: Date?

        public var exists: Bool { createdAt != nil }
    }

    public enum Command: Equatable, Sendable {
        case create(name: AccountName, at: Date)
        case activate(at: Date)
        case deactivate(at: Date)
        case rename(name: AccountName, at: Date)
    }

    public enum Event: Equatable, Sendable {
        case created(name: AccountName, at: Date)
        case activated(at: Date)
        case deactivated(at: Date)
        case renamed(name: AccountName, at: Date)

        /// When the event happened (the command's time).
        public var at: Date {
            switch self {
            case .created(_, let at), .activated(let at), .deactivated(let at), .renamed(_, let at): at
            }
        }
    }

    public enum Rejection: DomainRejection, Equatable, Sendable {
        case alreadyExists
        case notFound
        case alreadyActive
        case alreadyInactive

        public var kind: RejectionKind { self == .notFound ? .notFound : .conflict }

        public var description: String {
            switch self {
            case .alreadyExists: "The company already exists."
            case .notFound: "No such company."
            case .alreadyActive: "The company is already active."
            case .alreadyInactive: "The company is already inactive."
            }
        }
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event] {
        switch (command, state.exists, state.active) {
        case let (.create(name, at), false, _): [.created(name: name, at: at)]
        case (.create, true, _): throw .alreadyExists
        case (_, false, _): throw .notFound
        // Activating an active company (or deactivating an inactive one) is
        // refused rather than accepted as a no-op: the client believed the
        // company was in the other state, and should learn it was not.
        case (.activate, true, true): throw .alreadyActive
        case let (.activate(at), true, false): [.activated(at: at)]
        case (.deactivate, true, false): throw .alreadyInactive
        case let (.deactivate(at), true, true): [.deactivated(at: at)]
        // The same name again still records an event: the client asked for a
        // write and gets a new version, as for any other command.
        case let (.rename(name, at), true, _): [.renamed(name: name, at: at)]
        }
    }

    public static func evolve(_ state: State, _ event: Event) -> State {
        var state = state
        switch event {
        case let .created(name, at):
            state.name = name
            state.active = false
            state.createdAt = at
        case .activated:
            state.active = true
        case .deactivated:
            state.active = false
        case let .renamed(name, _):
            state.name = name
        }
        state.updatedAt = event.at
        return state
    }
}
