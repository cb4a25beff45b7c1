public import EventSourcing
public import Foundation

/// A catalog item: created once under its sku with a description, which
/// may change at will. The sku is the identity: its stream id is derived
/// from it (`ItemSku.streamID`), and the events carry it.
public enum Item: Decider {
    public static let streamType = "item"

    public static func stream(_ sku: ItemSku) -> StreamName {
        StreamName(type: streamType, id: sku.streamID)
    }

    public struct State: Equatable, Sendable {
        public internal(set) var sku: ItemSku?
        public internal(set) var description: ItemDescription?
        public internal(set) var createdAt: Date?
        public internal(set) var updatedAt: Date?

        public var exists: Bool { createdAt != nil }
    }

    public enum Command: Equatable, Sendable {
        case create(sku: ItemSku, description: ItemDescription, at: Date)
        case changeDescription(ItemDescription, at: Date)
    }

    public enum Event: Equatable, Sendable {
        case created(sku: ItemSku, description: ItemDescription, at: Date)
        case descriptionChanged(ItemDescription, at: Date)

        /// When the event happened (the command's time).
        public var at: Date {
            switch self {
            case .created(_, _, let at), .descriptionChanged(_, let at): at
            }
        }
    }

    public enum Rejection: DomainRejection, Equatable, Sendable {
        case alreadyExists(ItemSku)
        case notFound

        public var kind: RejectionKind { self == .notFound ? .notFound : .conflict }

        public var description: String {
            switch self {
            case .alreadyExists(let sku): "An item with sku \(sku) already exists."
            case .notFound: "No such item."
            }
        }
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event] {
        switch (command, state.exists) {
        case let (.create(sku, description, at), false): [.created(sku: sku, description: description, at: at)]
        case let (.create(sku, _, _), true): throw .alreadyExists(sku)
        case (.changeDescription, false): throw .notFound
        // The same description again still records an event: the client
        // asked for a write and gets a new version, as for any other command.
        case let (.changeDescription(description, at), true): [.descriptionChanged(description, at: at)]
        }
    }

    public static func evolve(_ state: State, _ event: Event) -> State {
        var state = state
        switch event {
        case let .created(sku, description, at):
            state.sku = sku
            state.description = description
            state.createdAt = at
        case let .descriptionChanged(description, _):
            state.description = description
        }
        state.updatedAt = event.at
        return state
    }
}
