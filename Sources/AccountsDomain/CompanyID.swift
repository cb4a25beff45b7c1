public import Foundation

/// Identifies one company; the id of its event stream.
public struct CompanyID: StreamIdentifier {
    public let uuid: UUID

    public init(_ uuid: UUID) {
        self.uuid = uuid
    }
}
