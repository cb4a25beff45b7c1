public import Foundation
public import Wire

/// Identifies one company; the id of its event stream.
public struct CompanyID: UUIDIdentifier {
    public let uuid: UUID

    public init(_ uuid: UUID) {
        self.uuid = uuid
    }
}
