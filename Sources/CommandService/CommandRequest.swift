public import EventSourcing
public import Foundation
public import Wire

/// A command's request body, checked field by field: the HTTP layer parses
/// the raw bytes with `parse`, then supplies the time (and, through the
/// stream it runs on, the id) to build the decider's command.
///
/// Parsing is pure and total: any byte sequence yields a request or a
/// `RequestProblem`, never a crash. Every invalid field is reported, not just
/// the first. Fields the API does not define are ignored (a tolerant reader),
/// but the body must still be well-formed JSON throughout.
public protocol CommandRequest: Equatable, Sendable {
    associatedtype Target: Decider

    static func parse(_ body: [UInt8]) throws(RequestProblem) -> Self
    func command(at time: Date) -> Target.Command
}
