import Accounts
import Catalog
import CommandService
import HTTPCommon
import Hummingbird
import Logging
import QueryService
import ReadModel
import Shop

/// The contexts the executables serve (the lists in their `Entry.swift`),
/// for the routers and projectors the tests build in-process.
enum ServedContexts {
    static let commands: [any CommandModule.Type] = [Shop.self, Catalog.self, Accounts.self]
    static let queries: [any QueryModule.Type] = [Shop.self, Catalog.self, Accounts.self]
}

extension ProjectionRegistry {
    /// The projections of every served context.
    static let served = ProjectionRegistry(ServedContexts.queries)
}

/// The request log of in-process servers stays at warning: a few thousand
/// info lines per run would bury a failing expectation in the CI output,
/// which shows only its tail.
let testServerLogger: Logger = {
    var logger = Logger(label: "test.http")
    logger.logLevel = .warning
    return logger
}()

/// An application for in-process router tests.
func testApplication(_ router: Router<AppRequestContext>) -> Application<RouterResponder<AppRequestContext>> {
    Application(router: router, logger: testServerLogger)
}
