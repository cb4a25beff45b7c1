/// A decider is the whole behaviour of one kind of aggregate as three pure
/// functions: `decide` turns a command and the current state into new events
/// (or a rejection), `evolve` folds one event into the state, and
/// `initialState` is the state of a stream with no events.
///
/// The same decider runs unchanged over the in-memory store in tests and over
/// PostgreSQL in production; `decide` validates, `evolve` trusts.
public protocol Decider {
    associatedtype Command: Sendable
    associatedtype Event: Sendable
    associatedtype State: Sendable
    associatedtype Rejection: Error

    static var initialState: State { get }
    static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event]
    static func evolve(_ state: State, _ event: Event) -> State
}

extension Decider {
    /// The state after folding `events` into `state`, in order.
    public static func fold(_ events: some Sequence<Event>, from state: State = initialState) -> State {
        events.reduce(state, evolve)
    }
}
