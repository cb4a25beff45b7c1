import AccountsDomain
import EventSourcing
import Foundation
import Testing
import Wire

@Suite("Accounts: stored company and user events")
struct AccountsCodecTests {
    static let companyEvents: [(Company.Event, String, String)] = [
        (.created(name: name("Acme"), at: Time.t0), "company.created",
         #"{"at":"2026-11-24T10:15:30.123Z","name":"Acme"}"#),
        (.activated(at: Time.t1), "company.activated", #"{"at":"2026-11-24T10:16:30.456Z"}"#),
        (.deactivated(at: Time.t2), "company.deactivated", #"{"at":"2026-11-24T10:17:30.789Z"}"#),
        (.renamed(name: name("Zoë \"Z\" & Söhne 🙂 / Ōkubo"), at: Time.t2), "company.renamed",
         #"{"at":"2026-11-24T10:17:30.789Z","name":"Zoë \"Z\" & Söhne 🙂 / Ōkubo"}"#),
    ]

    static let userEvents: [(User.Event, String, String)] = [
        (.created(name: name("Ada Lovelace"), email: Fixture.adasEmail, company: Fixture.acme, at: Time.t0), "user.created",
         #"{"at":"2026-11-24T10:15:30.123Z","company_id":"3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4b","#
            + #""email":"Ada@Example.org","name":"Ada Lovelace"}"#),
        (.created(name: name("Ada Lovelace"), email: Fixture.adasEmail, company: nil, at: Time.t0), "user.created",
         #"{"at":"2026-11-24T10:15:30.123Z","company_id":null,"email":"Ada@Example.org","name":"Ada Lovelace"}"#),
        (.renamed(name: name("Ada King"), at: Time.t1), "user.renamed", #"{"at":"2026-11-24T10:16:30.456Z","name":"Ada King"}"#),
        (.companyChanged(Fixture.globex, at: Time.t1), "user.company_changed",
         #"{"at":"2026-11-24T10:16:30.456Z","company_id":"c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"}"#),
        (.companyChanged(nil, at: Time.t2), "user.company_changed", #"{"at":"2026-11-24T10:17:30.789Z","company_id":null}"#),
    ]

    @Test(arguments: companyEvents)
    func companyEventsHaveStableStoredShapes(_ event: Company.Event, type: String, json: String) throws {
        try expectStoredShape(of: event, through: Company.codec, type: type, json: json)
    }

    @Test(arguments: userEvents)
    func userEventsHaveStableStoredShapes(_ event: User.Event, type: String, json: String) throws {
        try expectStoredShape(of: event, through: User.codec, type: type, json: json)
    }

    /// What another writer (or an older Chronicle) stored is read as it is:
    /// spacing and key order do not matter, an upper-case id is the same id.
    @Test func storedDataIsReadWhateverItsSpelling() throws {
        let json = #"{ "name": "Ada", "email": "ada@example.org", "company_id": "3F2A1B0C-4D5E-4F60-8A7B-9C0D1E2F3A4B","#
            + #" "at": "2026-11-24T10:15:30.123Z" }"#
        let event = try User.codec.decode(stored("user.created", json))
        #expect(event == .created(name: name("Ada"), email: "ada@example.org", company: Fixture.acme, at: Time.t0))
    }

    /// Names were checked when their command ran: a stored name is trusted,
    /// so a later tightening of the rule cannot make history unreadable.
    @Test func storedNamesAreNotCheckedAgain() throws {
        let long = String(repeating: "x", count: 201)
        let json = #"{"at":"2026-11-24T10:15:30.123Z","name":"\#(long)"}"#
        let event = try Company.codec.decode(stored("company.renamed", json))
        guard case let .renamed(stored, at) = event else {
            Issue.record("not a rename: \(event)")
            return
        }
        #expect(stored.value == long && at == Time.t0)
    }

    // MARK: errors

    @Test func unknownTypesAreNamed() {
        let renamed = #"{"at":"2026-11-24T10:15:30.123Z","name":"A"}"#
        #expect(throws: EventDecodingError.unknownEventType("company.deleted", streamType: "company")) {
            try Company.codec.decode(stored("company.deleted", "{}"))
        }
        #expect(throws: EventDecodingError.unknownEventType("company.renamed", streamType: "user")) {
            try User.codec.decode(stored("company.renamed", renamed))
        }
        #expect(throws: EventDecodingError.unknownEventType("user.renamed", streamType: "company")) {
            try Company.codec.decode(stored("user.renamed", renamed))
        }
    }

    @Test(arguments: ["company.created", "company.activated", "company.deactivated", "company.renamed"])
    func companySchemaVersionsOtherThanOneAreRefused(_ type: String) {
        expectOnlyVersionOne(of: type) { try Company.codec.decode($0) }
    }

    @Test(arguments: ["user.created", "user.renamed", "user.company_changed"])
    func userSchemaVersionsOtherThanOneAreRefused(_ type: String) {
        expectOnlyVersionOne(of: type) { try User.codec.decode($0) }
    }

    @Test(arguments: [
        ("company.created", #"{"at": "2026-11-24T10:15:30.123Z"}"#, "at name: missing key"),
        ("company.created", #"{"at": "2026-11-24T10:15:30.123Z", "name": 7}"#, "at name: expected String"),
        ("company.renamed", #"{"name": "Acme"}"#, "at at: missing key"),
        ("company.activated", #"{}"#, "at at: missing key"),
        ("company.deactivated", #"{"at": "yesterday"}"#, "at at: not an RFC 3339 UTC time: yesterday"),
        ("company.activated", #"{"at": 1795515330}"#, "at at: expected String"),
        ("company.activated", #"not json"#, "not JSON"),
        ("company.created", #"[]"#, ""),  // not an object: how the top level is worded is Wire's affair
    ])
    func malformedCompanyDataIsAnErrorThatSaysWhere(_ type: String, json: String, reason: String) {
        expectMalformed(type: type, json: json, reason: reason) { try Company.codec.decode($0) }
    }

    @Test(arguments: [
        ("user.created", #"{"at": "2026-11-24T10:15:30.123Z", "name": "Ada", "email": "ada@example.org"}"#,
         "at company_id: missing key"),
        ("user.created", #"{"at": "2026-11-24T10:15:30.123Z", "name": "Ada", "company_id": null}"#, "at email: missing key"),
        ("user.created", #"{"at": "2026-11-24T10:15:30.123Z", "email": "ada@example.org", "company_id": null}"#,
         "at name: missing key"),
        ("user.created", #"{"at": "2026-11-24T10:15:30.123Z", "name": "Ada", "email": "a@b.org", "company_id": "nope"}"#,
         "at company_id: not a UUID: nope"),
        ("user.created", #"{"at": "2026-11-24T10:15:30.123Z", "name": "Ada", "email": "a@b.org", "company_id": 1}"#,
         "at company_id: expected String"),
        ("user.renamed", #"{"at": "2026-11-24T10:15:30.123Z", "name": null}"#, "at name: missing String"),
        ("user.company_changed", #"{"at": "2026-11-24T10:15:30.123Z"}"#, "at company_id: missing key"),
        ("user.company_changed", #"{"company_id": null}"#, "at at: missing key"),
        ("user.company_changed", #"{"at": "2026-11-24T10:15:30.123Z", "company_id": {}}"#, "at company_id: expected String"),
        ("user.company_changed", #"{"at": "#, "not JSON"),
    ])
    func malformedUserDataIsAnErrorThatSaysWhere(_ type: String, json: String, reason: String) {
        expectMalformed(type: type, json: json, reason: reason) { try User.codec.decode($0) }
    }

    private func expectStoredShape<Event: Equatable>(of event: Event, through codec: EventCodec<Event>, type: String,
                                                     json: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let encoded = try codec.encode(event)
        #expect(encoded.type == type, sourceLocation: sourceLocation)
        #expect(encoded.schemaVersion == 1, sourceLocation: sourceLocation)
        #expect(String(decoding: encoded.data, as: UTF8.self) == json, sourceLocation: sourceLocation)
        #expect(try codec.decode(encoded) == event, sourceLocation: sourceLocation)
        #expect(try codec.encode(event) == encoded, sourceLocation: sourceLocation)  // deterministic
    }

    private func expectOnlyVersionOne<Event>(of type: String, sourceLocation: SourceLocation = #_sourceLocation,
                                             _ decode: (EncodedEvent) throws -> Event) {
        #expect(throws: UpcastError.newerThanKnown(type: type, version: 2, known: 1), sourceLocation: sourceLocation) {
            _ = try decode(stored(type, "{}", version: 2))
        }
        #expect(throws: UpcastError.noStep(type: type, fromVersion: 0), sourceLocation: sourceLocation) {
            _ = try decode(stored(type, "{}", version: 0))
        }
    }

    private func expectMalformed<Event>(type: String, json: String, reason: String,
                                        sourceLocation: SourceLocation = #_sourceLocation,
                                        _ decode: (EncodedEvent) throws -> Event) {
        #expect(sourceLocation: sourceLocation) {
            _ = try decode(stored(type, json))
        } throws: { error in
            guard case let .malformedData(eventType, version, actualReason)? = error as? EventDecodingError else {
                return false
            }
            return eventType == type && version == 1 && actualReason.hasPrefix(reason)
        }
    }

    private func stored(_ type: String, _ json: String, version: Int = 1) -> EncodedEvent {
        EncodedEvent(type: type, schemaVersion: version, data: Array(json.utf8))
    }
}
