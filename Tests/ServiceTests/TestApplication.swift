import HTTPCommon
import Hummingbird
import Logging

/// An application for in-process router tests. Its request log stays at
/// warning: a few thousand info lines per run would bury a failing
/// expectation in the CI output, which shows only its tail.
func testApplication(_ router: Router<AppRequestContext>) -> Application<RouterResponder<AppRequestContext>> {
    var logger = Logger(label: "test.http")
    logger.logLevel = .warning
    return Application(router: router, logger: logger)
}
