import EventSourcing
import Testing

private struct Greet: Sendable {
    var name: String
}

private struct Shout: Sendable {
    var text: String
}

private struct Unregistered: Sendable {}

private struct Refused: Error, Equatable {}

@Suite("CommandBus")
struct CommandBusTests {
    @Test func dispatchesToTheHandlerOfTheCommandsType() async throws {
        let bus = CommandBus<String, String>()
        bus.register(Greet.self) { command, context in "\(context): hello, \(command.name)" }
        bus.register(Shout.self) { command, _ in command.text.uppercased() }
        #expect(try await bus.dispatch(Greet(name: "Ada"), context: "req-1") == "req-1: hello, Ada")
        #expect(try await bus.dispatch(Shout(text: "hey"), context: "req-2") == "HEY")
    }

    @Test func anUnregisteredCommandHasNoHandler() async throws {
        let bus = CommandBus<String, String>()
        bus.register(Greet.self) { command, _ in command.name }
        await #expect(throws: BusError.noHandler(for: String(reflecting: Unregistered.self))) {
            try await bus.dispatch(Unregistered(), context: "req")
        }
        #expect(BusError.noHandler(for: "X").description == "no handler is registered for X")
    }

    @Test func aLaterRegistrationReplacesTheEarlier() async throws {
        let bus = CommandBus<Void, Int>()
        bus.register(Greet.self) { _, _ in 1 }
        bus.register(Greet.self) { _, _ in 2 }
        #expect(try await bus.dispatch(Greet(name: "Ada"), context: ()) == 2)
    }

    @Test func handlerErrorsReachTheCaller() async throws {
        let bus = CommandBus<Void, Int>()
        bus.register(Greet.self) { _, _ in throw Refused() }
        await #expect(throws: Refused()) {
            try await bus.dispatch(Greet(name: "Ada"), context: ())
        }
    }
}
