public import Foundation

/// Identifies one user; the id of its event stream.
public struct UserID: StreamIdentifier {
    public let uuid: UUID

    public init(_ uuid: UUID) {
        self.uuid = uuid
    }
}
