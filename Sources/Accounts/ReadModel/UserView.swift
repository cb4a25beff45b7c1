public import AccountsDomain
public import Foundation
import Wire

/// `GET /users/{id}`, and an item of `GET /users`.
///
/// Encodes exactly to the API's JSON; `company_id` and `company_name` are
/// `null` (not omitted) for a user in no company.
public struct UserView: Equatable, Sendable {
    public var userID: UserID
    public var name: String
    public var email: String
    public var companyID: CompanyID?
    /// The company's current name; nil in no company (or while this
    /// projection has not seen the company, which our write side cannot cause).
    public var companyName: String?
    public var createdAt: Date
    /// The time of the user stream's last event: a rename of the company
    /// rewrites `companyName` but is the company's event, not the user's.
    public var updatedAt: Date
    /// The user stream's version after the last event applied.
    public var version: Int

    public init(userID: UserID, name: String, email: String, companyID: CompanyID?, companyName: String?,
                createdAt: Date, updatedAt: Date, version: Int) {
        self.userID = userID
        self.name = name
        self.email = email
        self.companyID = companyID
        self.companyName = companyName
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

extension UserView: Encodable {
    enum CodingKeys: String, CodingKey {
        case userID = "user_id", name, email, companyID = "company_id", companyName = "company_name"
        case createdAt = "created_at", updatedAt = "updated_at", version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(userID, forKey: .userID)
        try container.encode(name, forKey: .name)
        try container.encode(email, forKey: .email)
        // `encode` of an Optional writes null; the contract wants the keys.
        try container.encode(companyID, forKey: .companyID)
        try container.encode(companyName, forKey: .companyName)
        try container.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(updatedAt), forKey: .updatedAt)
        try container.encode(version, forKey: .version)
    }
}
