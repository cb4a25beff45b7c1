import Foundation
import TestSupport
import Testing

/// The machinery is generic: a bounded context plugs in through its own
/// targets, and nothing else names it (issue 11). These read the sources.
@Suite("Bounded contexts: the generic modules name none")
struct ContextBoundaryTests {
    /// Modules that must not name any context's types, tables or routes.
    static let genericModules = [
        "LibPQ", "EventSourcing", "PostgresEventStore", "Wire", "ReadModel", "EventFeed", "HTTPCommon",
        "CommandService", "QueryService", "ProjectorService", "AdminCLI",
    ]

    /// What names a context: its types, tables, routes and id fields.
    static let contextNames = #"\b[Ss]hop|[Cc]ustomer|\bOrder(s|ID|View|Line)?\b|\borders\b|order_id|daily_sales|[Dd]ailySales|[Cc]ompan(y|ies)|\bUser\b|\busers\b|user_id|\b[Cc]atalog\b|\b[Aa]ccounts\b|\bsku\b|\bSku|\bItem\b|/items"#

    static func swiftFiles(in module: String) throws -> [URL] {
        let directory = TestEnvironment.repositoryRoot.appendingPathComponent("Sources/\(module)")
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        #expect(!files.isEmpty, "no sources under \(directory.path)")
        return files
    }

    /// `module/File.swift:line: text` of each line of `module` that matches
    /// `pattern`, leaving out lines that are comments when `skippingComments`.
    static func lines(in module: String, matching pattern: String, skippingComments: Bool) throws -> [String] {
        let regex = try Regex(pattern)
        var hits: [String] = []
        for file in try swiftFiles(in: module) {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (number, line) in lines.enumerated() where line.contains(regex) {
                let text = line.trimmingCharacters(in: .whitespaces)
                if skippingComments && text.hasPrefix("//") { continue }
                hits.append("\(module)/\(file.lastPathComponent):\(number + 1): \(text)")
            }
        }
        return hits
    }

    @Test(arguments: genericModules)
    func namesNoContext(_ module: String) throws {
        let hits = try Self.lines(in: module, matching: Self.contextNames, skippingComments: false)
        #expect(hits.isEmpty, "\(hits.count) lines name a context, the first:\n\(hits.prefix(30).joined(separator: "\n"))")
    }

    /// The services send no SQL of their own: each thing they need from the
    /// database is a function of an adapter (PostgresEventStore, ReadModel,
    /// a context's own read side).
    @Test(arguments: ["EventFeed", "HTTPCommon", "CommandService", "QueryService", "ProjectorService", "AdminCLI"])
    func serviceSendsNoSQL(_ module: String) throws {
        let sql = #"\b(SELECT|INSERT|UPDATE|DELETE|LOCK|BEGIN|COMMIT|ALTER|CREATE|DROP)\b|\.query\(|\.execute\(|\.pipeline\(|sendAhead"#
        let hits = try Self.lines(in: module, matching: sql, skippingComments: true)
        #expect(hits.isEmpty, "SQL in a service:\n\(hits.prefix(30).joined(separator: "\n"))")
    }

    /// A context's domain is pure: it imports the core, the wire values and
    /// Foundation, nothing that does I/O or speaks HTTP.
    @Test(arguments: ["ShopDomain", "CatalogDomain", "AccountsDomain"])
    func domainImportsNothingThatDoesIO(_ module: String) throws {
        let allowed: Set<String> = ["EventSourcing", "Wire", "Foundation"]
        let imports = try Self.imports(of: module)
        #expect(imports.isSubset(of: allowed), "\(module) imports \(imports.subtracting(allowed).sorted())")
    }

    /// The contexts the executables serve, each with its domain.
    static let contexts = [("Shop", "ShopDomain"), ("Catalog", "CatalogDomain"), ("Accounts", "AccountsDomain")]

    /// Contexts stand side by side: one never imports another's targets.
    @Test(arguments: contexts.map(\.0))
    func aContextImportsNoOtherContext(_ module: String) throws {
        let others = Set(Self.contexts.filter { $0.0 != module }.flatMap { [$0.0, $0.1] })
        let imports = try Self.imports(of: module)
        #expect(imports.isDisjoint(with: others), "\(module) imports \(imports.intersection(others).sorted())")
    }

    /// Every executable lists exactly the contexts the tests serve.
    @Test(arguments: ["command-service", "query-service", "projector", "chronicle-admin"])
    func anExecutableServesEveryContext(_ executable: String) throws {
        let entry = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("Sources/\(executable)/Entry.swift"),
                               encoding: .utf8)
        let listed = "main(contexts: [" + Self.contexts.map { "\($0.0).self" }.joined(separator: ", ") + "])"
        #expect(entry.contains(listed), "\(executable) does not call \(listed)")
    }

    static func imports(of module: String) throws -> Set<String> {
        var imports: Set<String> = []
        for file in try swiftFiles(in: module) {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ")
                if let index = words.firstIndex(of: "import"), index + 1 < words.count,
                   words[..<index].allSatisfy({ ["public", "internal", "package", "@testable"].contains($0) }) {
                    imports.insert(String(words[index + 1]))
                }
            }
        }
        return imports
    }
}
