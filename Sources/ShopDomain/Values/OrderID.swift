public import Foundation
public import Wire

/// Identifies one order; the id of its event stream.
public struct OrderID: UUIDIdentifier {
    public let uuid: UUID

    public init(_ uuid: UUID) {
        self.uuid = uuid
    }
}
