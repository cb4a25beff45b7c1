import HTTPCommon
import Hummingbird
import Logging

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
