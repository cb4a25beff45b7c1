public import Foundation
public import Wire

/// Identifies one user; the id of its event stream.
public struct UserID: UUIDIdentifier {
    public let uuid: UUID

    public init(_ uuid: UUID) {
        self.uuid = uuid
    }
}
