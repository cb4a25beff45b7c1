public import AccountsDomain
public import CommandService
import EventSourcing
public import Foundation
public import Wire

/// `POST /users`: `{"name", "email", "company_id"?}`.
///
/// `company_id` absent or `null` is no company; a UUID otherwise. Whether
/// that company exists is for the route's handler to ask the store (a 422 on
/// `company_id` when not: `Accounts.unknownCompany`).
public struct CreateUserRequest: CommandRequest {
    public typealias Target = User

    public var name: AccountName
    public var email: Email
    public var company: CompanyID?

    public init(name: AccountName, email: Email, company: CompanyID?) {
        self.name = name
        self.email = email
        self.company = company
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> CreateUserRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let name = reader.accountName("name", in: object)
        let email = reader.email("email", in: object)
        let company = reader.companyReference("company_id", in: object, keyRequired: false)
        return try reader.result { () -> CreateUserRequest? in
            guard let name, let email, let company else { return nil }
            return CreateUserRequest(name: name, email: email, company: company)
        }
    }

    public func command(at time: Date) -> User.Command {
        .create(name: name, email: email, company: company, at: time)
    }
}

/// `PUT /users/{id}/company`: `{"company_id"}`, a company's id or `null` to
/// leave. The key is required: a body without it says nothing, and reading
/// it as "leave" would turn a client's typo into a move.
public struct MoveUserRequest: CommandRequest {
    public typealias Target = User

    /// nil: out of any company.
    public var company: CompanyID?

    public init(company: CompanyID?) {
        self.company = company
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> MoveUserRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let company = reader.companyReference("company_id", in: object, keyRequired: true)
        return try reader.result { company.map(MoveUserRequest.init) }
    }

    public func command(at time: Date) -> User.Command {
        .moveToCompany(company, at: time)
    }
}
