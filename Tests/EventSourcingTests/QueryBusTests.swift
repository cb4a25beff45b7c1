import EventSourcing
import Testing

private struct CountLetters: Query {
    typealias Answer = Int
    var text: String
}

private struct FindName: Query {
    typealias Answer = String?
    var id: Int
}

private struct Unregistered: Query {
    typealias Answer = Void
}

private struct Refused: Error, Equatable {}

@Suite("QueryBus")
struct QueryBusTests {
    @Test func asksTheHandlerOfTheQuerysTypeAndReturnsItsTypedAnswer() async throws {
        let bus = QueryBus<[Int: String]>()
        bus.register(CountLetters.self) { query, _ in query.text.count }
        bus.register(FindName.self) { query, names in names[query.id] }
        let names = [1: "Ada"]
        let count: Int = try await bus.ask(CountLetters(text: "hello"), context: names)
        #expect(count == 5)
        #expect(try await bus.ask(FindName(id: 1), context: names) == "Ada")
        #expect(try await bus.ask(FindName(id: 2), context: names) == nil)
    }

    @Test func anUnregisteredQueryHasNoHandler() async throws {
        let bus = QueryBus<Void>()
        bus.register(CountLetters.self) { query, _ in query.text.count }
        #expect(bus.handles(CountLetters.self))
        #expect(!bus.handles(Unregistered.self))
        await #expect(throws: BusError.noHandler(for: String(reflecting: Unregistered.self))) {
            try await bus.ask(Unregistered(), context: ())
        }
    }

    @Test func aLaterRegistrationReplacesTheEarlier() async throws {
        let bus = QueryBus<Void>()
        bus.register(CountLetters.self) { _, _ in 1 }
        bus.register(CountLetters.self) { _, _ in 2 }
        #expect(try await bus.ask(CountLetters(text: "x"), context: ()) == 2)
    }

    @Test func handlerErrorsReachTheCaller() async throws {
        let bus = QueryBus<Void>()
        bus.register(CountLetters.self) { _, _ in throw Refused() }
        await #expect(throws: Refused()) {
            try await bus.ask(CountLetters(text: "x"), context: ())
        }
    }
}
