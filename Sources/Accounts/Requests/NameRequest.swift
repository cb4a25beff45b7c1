public import AccountsDomain
public import Wire

/// `{"name"}`: the body of `POST /companies`, `PUT /companies/{id}/name` and
/// `PUT /users/{id}/name`, one rule for all three (1–200 characters after
/// trimming). The route's handler makes the command it names.
public struct NameRequest: Equatable, Sendable {
    public var name: AccountName

    public init(name: AccountName) {
        self.name = name
    }

    public static func parse(_ body: [UInt8]) throws(RequestProblem) -> NameRequest {
        let object = try FieldReader.object(from: body)
        var reader = FieldReader()
        let name = reader.accountName("name", in: object)
        return try reader.result { name.map(NameRequest.init) }
    }
}
