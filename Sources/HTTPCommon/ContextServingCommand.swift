public import ArgumentParser

/// A process's root command that serves the bounded contexts its
/// executable lists: the executable calls `main(contexts:)`, which parses
/// the arguments and runs `run(contexts:)`.
public protocol ContextServingCommand: AsyncParsableCommand {
    associatedtype Contexts
    func run(contexts: Contexts) async throws
}

extension ContextServingCommand {
    public static func main(contexts: Contexts) async {
        do {
            let command = try parseAsRoot()
            guard let root = command as? Self else { throw CleanExit.helpRequest(command) }
            try await root.run(contexts: contexts)
        } catch {
            exit(withError: error)
        }
    }

    /// Reached only through `main()`, which names no context: nothing to serve.
    public func run() async throws {
        throw ValidationError("\(Self._commandName) was started without any bounded context to serve")
    }
}
