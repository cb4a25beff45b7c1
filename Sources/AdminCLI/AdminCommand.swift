public import ArgumentParser
import EventFeed
public import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
public import ReadModel

/// `chronicle-admin`: operator commands.
public struct AdminCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "chronicle-admin",
        abstract: "Operate a Chronicle database.",
        subcommands: [Migrate.self, Projections.self, RebuildProjection.self, Tail.self])

    public init() {}

    /// The projections of the contexts the executable lists, for the
    /// subcommands (their validation runs while parsing, so a task-local
    /// value rather than a parameter).
    @TaskLocal static var projections = ProjectionRegistry([])
    /// The stream and event types they declare, for `tail`'s filters.
    @TaskLocal static var vocabulary = FeedVocabulary([StreamDeclaration]())

    /// The executable's entry: runs the subcommand over `contexts`'
    /// projections and declared streams.
    public static func main(contexts: [any (ProjectionModule & StreamDeclaring).Type]) async {
        await $projections.withValue(ProjectionRegistry(contexts.map { $0 as any ProjectionModule.Type })) {
            await $vocabulary.withValue(FeedVocabulary(contexts.map { $0 as any StreamDeclaring.Type })) { await main() }
        }
    }
}

/// Options every admin subcommand takes.
public struct AdminOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "libpq URI or key=value string (env DATABASE_URL; PG* variables also apply)")
    public var databaseURL: String?

    @Option(name: .customLong("migrations"), help: "Directory of migration files (env CHRONICLE_MIGRATIONS, default ./migrations)")
    public var migrationsDirectory: String?

    public init() {}

    var conninfo: String { databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "" }

    var migrations: String? { migrationsDirectory ?? ProcessInfo.processInfo.environment["CHRONICLE_MIGRATIONS"] }

    /// Connects, turning a failure into a one-line message for the operator.
    func connect(sessionSettings: [String: String] = [:]) async throws -> Connection {
        try await Self.connect(conninfo, sessionSettings: sessionSettings)
    }

    /// `connect` from tasks of their own (the options themselves are not `Sendable`).
    static func connect(_ conninfo: String, sessionSettings: [String: String] = [:]) async throws -> Connection {
        do {
            return try await Connection.connect(try ConnectionString.withSessionSettings(conninfo, sessionSettings))
        } catch let error as PostgresError {
            throw AdminFailure("cannot connect to the database: \(error.message)")
        }
    }
}

/// A failure the operator can act on: printed as one line, exit status 1.
public struct AdminFailure: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

extension AdminCommand {
    public struct Migrate: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Apply pending migrations, in order, each once (safe to run concurrently).")

        @OptionGroup var options: AdminOptions

        public init() {}

        public func run() async throws {
            do {
                let migrations = try Migration.load(from: ProjectFiles.locate("migrations", explicit: options.migrations))
                let connection = try await options.connect()
                defer { Task { await connection.close() } }
                let applied = try await SchemaMigrator(migrations: migrations).migrate(connection)
                print(applied.isEmpty
                      ? "schema is current (\(migrations.count) migrations)"
                      : "applied: \(applied.joined(separator: ", "))")
            } catch let error as MigrationError {
                throw AdminFailure(error.description)
            } catch let error as ProjectFileMissing {
                throw AdminFailure(error.description)
            } catch let error as PostgresError {
                throw AdminFailure("migration failed: \(error)")
            }
        }
    }
}
