public import AccountsDomain
public import CommandService
import EventSourcing
import Foundation
import HTTPCommon
public import Wire
import UUIDKit

/// The accounts' typed commands: a parsed request body plus what the path names.
public struct CreateCompany: Sendable { public var name: AccountName }
public struct ActivateCompany: Sendable { public var id: CompanyID }
public struct DeactivateCompany: Sendable { public var id: CompanyID }
public struct RenameCompany: Sendable { public var id: CompanyID; public var name: AccountName }
public struct CreateUser: Sendable { public var request: CreateUserRequest }
public struct RenameUser: Sendable { public var id: UserID; public var name: AccountName }
public struct MoveUser: Sendable { public var id: UserID; public var request: MoveUserRequest }

/// The accounts' command routes (API.md "Accounts: companies and their
/// users") and their handlers: load, decide, append through
/// `CommandContext.run`.
extension Accounts: CommandModule {
    public static func registerCommands(on routes: CommandRoutes) {
        routes.post("/companies", creates: true) { input in
            CreateCompany(name: try NameRequest.parse(input.body).name)
        } handle: { command, context in
            let id = CompanyID(UUID.random())
            return try await context.run(Company.self, Company.codec, .create(name: command.name, at: context.now),
                                         on: Company.stream(id), as: id.resource, created: true)
        }
        routes.post("/companies/:id/activate") { input in
            ActivateCompany(id: try companyID(input))
        } handle: { command, context in
            try await company(command.id, .activate(at: context.now), context)
        }
        routes.post("/companies/:id/deactivate") { input in
            DeactivateCompany(id: try companyID(input))
        } handle: { command, context in
            try await company(command.id, .deactivate(at: context.now), context)
        }
        routes.put("/companies/:id/name") { input in
            RenameCompany(id: try companyID(input), name: try NameRequest.parse(input.body).name)
        } handle: { command, context in
            try await company(command.id, .rename(name: command.name, at: context.now), context)
        }
        routes.post("/users", creates: true) { input in
            CreateUser(request: try CreateUserRequest.parse(input.body))
        } handle: { command, context in
            let id = UserID(UUID.random())
            do {
                return try await context.run(User.self, User.codec, command.request.command(at: context.now),
                                             on: User.stream(id), as: id.resource, created: true,
                                             claims: User.claims(for:), requiring: existing(command.request.company))
            } catch CommandRunError.claimTaken(let claim) where claim.scope == User.emailClaimScope {
                throw CommandRefused(.conflict, "A user with this email already exists.")
            }
        }
        routes.put("/users/:id/name") { input in
            RenameUser(id: try userID(input), name: try NameRequest.parse(input.body).name)
        } handle: { command, context in
            try await user(command.id, .rename(name: command.name, at: context.now), context)
        }
        routes.put("/users/:id/company") { input in
            MoveUser(id: try userID(input), request: try MoveUserRequest.parse(input.body))
        } handle: { command, context in
            try await user(command.id, command.request.command(at: context.now), context,
                           requiring: existing(command.request.company))
        }
    }

    /// The 422 to answer when `company_id` names no company, worded like the
    /// other field errors.
    public static let unknownCompany = RequestProblem.invalid([
        FieldError(field: "company_id", message: "must name an existing company"),
    ])

    /// A reference to a company must name one that exists (active or not),
    /// checked in the user's append: a company's stream begins with its
    /// creation, and companies are never deleted, so one there now stays.
    private static func existing(_ company: CompanyID?) -> [RequiredStream] {
        company.map { [RequiredStream(Company.stream($0), else: unknownCompany)] } ?? []
    }

    private static func company(_ id: CompanyID, _ command: Company.Command, _ context: CommandContext)
        async throws -> CommandReply {
        try await context.run(Company.self, Company.codec, command, on: Company.stream(id), as: id.resource)
    }

    private static func user(_ id: UserID, _ command: User.Command, _ context: CommandContext,
                             requiring required: [RequiredStream] = []) async throws -> CommandReply {
        try await context.run(User.self, User.codec, command, on: User.stream(id), as: id.resource,
                              requiring: required)
    }

    private static func companyID(_ input: CommandInput) throws -> CompanyID {
        guard let id = input.path.uuid("id") else { throw ProblemDetails.notFound("no such company") }
        return CompanyID(id)
    }

    private static func userID(_ input: CommandInput) throws -> UserID {
        guard let id = input.path.uuid("id") else { throw ProblemDetails.notFound("no such user") }
        return UserID(id)
    }
}

extension CompanyID {
    var resource: CommandReply.Resource { .init(idField: "company_id", id: description, location: "/companies/\(self)") }
}

extension UserID {
    var resource: CommandReply.Resource { .init(idField: "user_id", id: description, location: "/users/\(self)") }
}
