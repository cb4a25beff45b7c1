import AccountsDomain
import Wire

// The accounts context's fields, read the way API.md's common rules say.
extension FieldReader {
    mutating func accountName(_ key: String, in object: BodyObject) -> AccountName? {
        checked(key, in: object, AccountName.init(validating:))
    }

    /// `key` as a company's id, or no company: `null`, or an absent key
    /// unless `keyRequired`. `.some(nil)` is no company; nil, an error recorded.
    mutating func companyReference(_ key: String, in object: BodyObject, keyRequired: Bool) -> CompanyID?? {
        let field = object.path(of: key)
        switch object.members[key] {
        case nil where keyRequired:
            fail(field, "is required (a company id, or null for none)")
            return nil
        case nil, .null?:
            return .some(nil)
        case .string(let text)?:
            guard let id = CompanyID(text) else {
                fail(field, "must be a UUID")
                return nil
            }
            return .some(id)
        case let value?:
            typeMismatch(field, expected: "a UUID string or null", got: value)
            return nil
        }
    }
}
