public import EventSourcing
import Foundation
import Wire

// The stored shapes below are a contract with every reader of the event
// table (the projector, the event feed), so they are spelled out here rather
// than derived from the Swift types: renaming a Swift property must not
// change history's format.
extension User {
    /// Stored type strings and the current schema version of each.
    static let storedTypes: [String: Int] = [
        "user.created": 1,
        "user.renamed": 1,
        "user.company_changed": 1,
    ]

    /// The stream type and its stored event types, for readers of the whole
    /// log (the event feed's filters).
    public static let declaredStream = StreamDeclaration(streamType: streamType, eventTypes: storedTypes.keys)

    public static let codec = EventCodec<Event>(encode: encode, decode: decode)

    private static func encode(_ event: Event) throws -> EncodedEvent {
        func stored(_ payload: some Encodable, as type: String) throws -> EncodedEvent {
            try EventData.encode(payload, type: type, schemaVersion: storedTypes[type]!)
        }
        switch event {
        case let .created(name, email, company, at):
            return try stored(CreatedData(name: name, email: email, company: Nullable(company), at: at),
                              as: "user.created")
        case let .renamed(name, at):
            return try stored(RenamedData(name: name, at: at), as: "user.renamed")
        case let .companyChanged(company, at):
            return try stored(CompanyChangedData(company: Nullable(company), at: at), as: "user.company_changed")
        }
    }

    private static func decode(_ stored: EncodedEvent) throws -> Event {
        let event = try EventData.upcast(stored, streamType: streamType, knownTypes: storedTypes, upcaster: Upcaster())
        switch event.type {
        case "user.created":
            let data = try EventData.decode(CreatedData.self, from: event)
            return .created(name: data.name, email: data.email, company: data.company.value, at: data.at)
        case "user.renamed":
            let data = try EventData.decode(RenamedData.self, from: event)
            return .renamed(name: data.name, at: data.at)
        case "user.company_changed":
            let data = try EventData.decode(CompanyChangedData.self, from: event)
            return .companyChanged(data.company.value, at: data.at)
        default:
            throw EventDecodingError.unknownEventType(event.type, streamType: streamType)
        }
    }

    /// `user.created` v1: `{"at", "company_id": id or null, "email", "name"}`.
    private struct CreatedData: Codable {
        var name: AccountName
        var email: Email
        var company: Nullable<CompanyID>
        var at: Date

        enum CodingKeys: String, CodingKey {
            case name, email, company = "company_id", at
        }
    }

    /// `user.renamed` v1: `{"at", "name"}`.
    private struct RenamedData: Codable {
        var name: AccountName
        var at: Date
    }

    /// `user.company_changed` v1: `{"at", "company_id": id or null}`.
    private struct CompanyChangedData: Codable {
        var company: Nullable<CompanyID>
        var at: Date

        enum CodingKeys: String, CodingKey {
            case company = "company_id", at
        }
    }
}

/// A payload field that is always there, `null` when there is no value.
/// Synthesized coding would leave out a `nil` key and accept a missing one;
/// `company_id` is part of the stored shape either way, so a reader of the
/// event table never has to tell "no company" from "field forgotten".
private struct Nullable<Wrapped: Codable>: Codable {
    var value: Wrapped?

    init(_ value: Wrapped?) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        value = container.decodeNil() ? nil : try container.decode(Wrapped.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
