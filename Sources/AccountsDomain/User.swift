public import Wire
public import EventSourcing
public import Foundation

/// A user: created once with a name, an email and perhaps a company, then
/// renamed and moved between companies (or out of any) at will.
///
/// Two rules reach beyond this stream and are not decided here, since one
/// stream cannot see the others: that a named company exists (the service
/// side requires the company's stream in the user's append and refuses an
/// unknown one as an invalid field), and that no other user has the email
/// (claimed with the append: see `claims(for:)`).
public enum User: Decider {
    public static let streamType = "user"
    /// The store refuses a second user claiming the same normalised email.
    /// Its own scope, not the customers': users and customers are separate
    /// contexts, so one address may be both a customer and a user.
    public static let emailClaimScope = "user-email"

    public static func stream(_ id: UserID) -> StreamName {
        StreamName(type: streamType, id: id.uuid)
    }

    public struct State: Equatable, Sendable {
        public internal(set) var name: AccountName?
        public internal(set) var email: Email?
        public internal(set) var company: CompanyID?
        public internal(set) var createdAt: Date?
        public internal(set) var updatedAt: Date?

        public var exists: Bool { createdAt != nil }
    }

    public enum Command: Equatable, Sendable {
        case create(name: AccountName, email: Email, company: CompanyID?, at: Date)
        case rename(name: AccountName, at: Date)
        /// `nil` leaves the current company.
        case moveToCompany(CompanyID?, at: Date)
    }

    public enum Event: Equatable, Sendable {
        case created(name: AccountName, email: Email, company: CompanyID?, at: Date)
        case renamed(name: AccountName, at: Date)
        /// The company the user is in from now on; `nil`, none.
        case companyChanged(CompanyID?, at: Date)

        /// When the event happened (the command's time).
        public var at: Date {
            switch self {
            case .created(_, _, _, let at), .renamed(_, let at), .companyChanged(_, let at): at
            }
        }
    }

    public enum Rejection: DomainRejection, Equatable, Sendable {
        case alreadyExists
        case notFound
        case alreadyInThatCompany
        case notInACompany

        public var kind: RejectionKind { self == .notFound ? .notFound : .conflict }

        public var description: String {
            switch self {
            case .alreadyExists: "The user already exists."
            case .notFound: "No such user."
            case .alreadyInThatCompany: "The user is already in that company."
            case .notInACompany: "The user is not in a company."
            }
        }
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event] {
        switch (command, state.exists) {
        case let (.create(name, email, company, at), false):
            [.created(name: name, email: email, company: company, at: at)]
        case (.create, true): throw .alreadyExists
        case (_, false): throw .notFound
        // Renaming to the current name still records an event: the client
        // asked for a write and gets a new version, as for any other command.
        case let (.rename(name, at), true): [.renamed(name: name, at: at)]
        // A move that changes nothing is refused rather than recorded: the
        // client believed the user was elsewhere, and should learn it was not.
        case (.moveToCompany(nil, _), true) where state.company == nil: throw .notInACompany
        case let (.moveToCompany(company?, _), true) where company == state.company: throw .alreadyInThatCompany
        case let (.moveToCompany(company, at), true): [.companyChanged(company, at: at)]
        }
    }

    public static func evolve(_ state: State, _ event: Event) -> State {
        var state = state
        switch event {
        case let .created(name, email, company, at):
            state.name = name
            state.email = email
            state.company = company
            state.createdAt = at
        case let .renamed(name, _):
            state.name = name
        case let .companyChanged(company, _):
            state.company = company
        }
        state.updatedAt = event.at
        return state
    }

    /// The unique values the events take: a user's creation claims its
    /// email, case-insensitively. Pass this as the runner's `claims:`.
    public static func claims(for events: [Event]) -> [UniqueClaim] {
        events.compactMap { event in
            guard case let .created(_, email, _, _) = event else { return nil }
            return UniqueClaim(scope: emailClaimScope, value: email.normalized)
        }
    }
}
