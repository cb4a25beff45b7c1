public import Foundation
public import Wire

/// Identifies one customer; the id of its event stream.
public struct CustomerID: UUIDIdentifier {
    public let uuid: UUID

    public init(_ uuid: UUID) {
        self.uuid = uuid
    }
}
