public import CommandService
import EventSourcing
public import Foundation
public import ShopDomain
public import Wire

/// `POST /customers`: `{"name", "email"}`.
public struct RegisterCustomerRequest: CommandRequest {
    public typealias Target = Customer

    public var name: PersonName
    public var email: Email

    public init(name: PersonName, email: Email) {
        self.name = name
        self.email = email
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> RegisterCustomerRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let name = reader.personName("name", in: object)
        let email = reader.email("email", in: object)
        return try reader.result { () -> RegisterCustomerRequest? in
            guard let name, let email else { return nil }
            return RegisterCustomerRequest(name: name, email: email)
        }
    }

    public func command(at time: Date) -> Customer.Command {
        .register(name: name, email: email, at: time)
    }
}

/// `PUT /customers/{id}/name`: `{"name"}`.
public struct RenameCustomerRequest: CommandRequest {
    public typealias Target = Customer

    public var name: PersonName

    public init(name: PersonName) {
        self.name = name
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> RenameCustomerRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let name = reader.personName("name", in: object)
        return try reader.result { name.map(RenameCustomerRequest.init) }
    }

    public func command(at time: Date) -> Customer.Command {
        .rename(name: name, at: time)
    }
}
