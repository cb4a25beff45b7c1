public import AccountsDomain
public import Foundation
import Wire

/// `GET /companies/{id}`, and an item of `GET /companies`.
public struct CompanyView: Equatable, Sendable {
    public var companyID: CompanyID
    public var name: String
    public var active: Bool
    /// The users currently in the company; follows moves in and out.
    public var userCount: Int
    public var createdAt: Date
    /// The time of the company stream's last event: users moving in or out
    /// change `userCount` but are the users' events, not the company's.
    public var updatedAt: Date
    /// The company stream's version after the last event applied.
    public var version: Int

    public init(companyID: CompanyID, name: String, active: Bool, userCount: Int, createdAt: Date, updatedAt: Date,
                version: Int) {
        self.companyID = companyID
        self.name = name
        self.active = active
        self.userCount = userCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

extension CompanyView: Encodable {
    enum CodingKeys: String, CodingKey {
        case companyID = "company_id", name, active, userCount = "user_count"
        case createdAt = "created_at", updatedAt = "updated_at", version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(companyID, forKey: .companyID)
        try container.encode(name, forKey: .name)
        try container.encode(active, forKey: .active)
        try container.encode(userCount, forKey: .userCount)
        try container.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
        try container.encode(version, forKey: .version)
    }
}
