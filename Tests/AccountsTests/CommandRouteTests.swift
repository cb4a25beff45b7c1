import Foundation
import HTTPTypes
import Testing

/// The accounts' command routes on the real command service (API.md
/// "Accounts: companies and their users"), one contract rule per test.
@Suite("Accounts command routes")
struct CommandRouteTests {
    static let unknownID = "3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4b"

    @Test func createCompanyAnswers201WithLocation() async throws {
        try await RouteHarness.run { api in
            let answer = try await api.send(.post, "/companies", json: #"{"name": "  Acme  "}"#)
            #expect(answer.status == 201)
            let id = try #require(answer.json["company_id"] as? String)
            #expect(id == id.lowercased() && UUID(uuidString: id) != nil)
            #expect(Set(answer.json.keys) == ["company_id", "version", "consistency_token"])
            #expect(answer.json["version"] as? Int == 1)
            #expect(answer.headers[.location] == "/companies/\(id)")
        }
    }

    @Test func activationsAlternateAndARepeatIsA409() async throws {
        try await RouteHarness.run { api in
            let id = try await api.create("/companies", json: #"{"name": "Acme"}"#, idField: "company_id")
            let steps: [(String, Int, Int?)] = [("deactivate", 409, nil), ("activate", 200, 2), ("activate", 409, nil),
                                                ("deactivate", 200, 3), ("deactivate", 409, nil)]
            for (action, status, version) in steps {
                let answer = try await api.send(.post, "/companies/\(id)/\(action)")
                #expect(answer.status == status, "\(action): \(answer.body)")
                if let version {
                    #expect(answer.json["version"] as? Int == version)
                    #expect(answer.json["company_id"] as? String == id)
                    #expect(answer.headers[.location] == nil)
                } else {
                    #expect(answer.isProblem)
                }
            }
        }
    }

    @Test func renameCompanyChecksTheName() async throws {
        try await RouteHarness.run { api in
            let id = try await api.create("/companies", json: #"{"name": "Acme"}"#, idField: "company_id")
            let before = try await api.eventCount()
            for body in [#"{"name": "   "}"#, #"{"name": 5}"#, #"{}"#, "{\"name\": \"\(String(repeating: "x", count: 201))\"}",
                         #"{"name": "a\u0007b"}"#] {
                let answer = try await api.send(.put, "/companies/\(id)/name", json: body)
                #expect(answer.status == 422 && answer.errorFields == ["name"], "\(body): \(answer.body)")
            }
            #expect(try await api.send(.put, "/companies/\(id)/name", json: "[]").status == 400)
            #expect(try await api.eventCount() == before)
            let renamed = try await api.send(.put, "/companies/\(id)/name", json: #"{"name": "Acme Corp"}"#)
            #expect(renamed.status == 200 && renamed.json["version"] as? Int == 2)
        }
    }

    @Test func pathsThatNameNothingAre404() async throws {
        try await RouteHarness.run { api in
            for (method, path, body) in [
                (.post, "/companies/not-a-uuid/activate", nil), (.post, "/companies/\(Self.unknownID)/activate", nil),
                (.post, "/companies/\(Self.unknownID)/deactivate", nil),
                (.put, "/companies/42/name", #"{"name": "X"}"#), (.put, "/companies/\(Self.unknownID)/name", #"{"name": "X"}"#),
                (.put, "/users/nope/name", #"{"name": "X"}"#), (.put, "/users/\(Self.unknownID)/name", #"{"name": "X"}"#),
                (.put, "/users/nope/company", #"{"company_id": null}"#),
                (.put, "/users/\(Self.unknownID)/company", #"{"company_id": null}"#),
            ] as [(HTTPRequest.Method, String, String?)] {
                let answer = try await api.send(method, path, json: body)
                #expect(answer.status == 404 && answer.isProblem, "\(method) \(path): \(answer.body)")
            }
            #expect(try await api.eventCount() == 0)
        }
    }

    @Test func createUserListsEveryInvalidField() async throws {
        try await RouteHarness.run { api in
            let answer = try await api.send(.post, "/users", json: #"{"name": "", "email": "nope", "company_id": "x"}"#)
            #expect(answer.status == 422)
            #expect(answer.errorFields == ["name", "email", "company_id"])
            let types = try await api.send(.post, "/users", json: #"{"email": 7, "company_id": 7}"#)
            #expect(types.status == 422 && types.errorFields == ["name", "email", "company_id"], "\(types.body)")
            let long = "\(String(repeating: "a", count: 64))@\(String(repeating: "b", count: 190)).org"
            let tooLong = try await api.send(.post, "/users", json: "{\"name\": \"Ada\", \"email\": \"\(long)\"}")
            #expect(tooLong.status == 422 && tooLong.errorFields == ["email"], "\(tooLong.body)")
            #expect(try await api.eventCount() == 0)
        }
    }

    @Test func createUserInACompanyThatExistsOnly() async throws {
        try await RouteHarness.run { api in
            let unknown = try await api.send(.post, "/users", json: """
                {"name": "Ada", "email": "ada@example.org", "company_id": "\(Self.unknownID)"}
                """)
            #expect(unknown.status == 422 && unknown.errorFields == ["company_id"], "\(unknown.body)")
            #expect(try await api.eventCount() == 0)

            // Active or not: a new company is inactive.
            let company = try await api.create("/companies", json: #"{"name": "Acme"}"#, idField: "company_id")
            let answer = try await api.send(.post, "/users", json: """
                {"name": "Ada", "email": "ada@example.org", "company_id": "\(company.uppercased())"}
                """)
            #expect(answer.status == 201, "\(answer.body)")
            let id = try #require(answer.json["user_id"] as? String)
            #expect(Set(answer.json.keys) == ["user_id", "version", "consistency_token"])
            #expect(answer.headers[.location] == "/users/\(id)")
            for body in [#"{"name": "Bob", "email": "bob@example.org"}"#,
                         #"{"name": "Cy", "email": "cy@example.org", "company_id": null}"#] {
                #expect(try await api.send(.post, "/users", json: body).status == 201, "\(body)")
            }
        }
    }

    @Test func anEmailIsTakenCaseInsensitively() async throws {
        try await RouteHarness.run { api in
            _ = try await api.create("/users", json: #"{"name": "Ada", "email": "Ada@Example.org"}"#, idField: "user_id")
            let before = try await api.eventCount()
            let again = try await api.send(.post, "/users", json: #"{"name": "Other Ada", "email": "ada@EXAMPLE.org"}"#)
            #expect(again.status == 409 && again.isProblem, "\(again.body)")
            #expect((again.json["detail"] as? String)?.contains("email") == true)
            #expect(try await api.eventCount() == before)
        }
    }

    @Test func movesNeedAnExistingCompanyAndAChange() async throws {
        try await RouteHarness.run { api in
            let acme = try await api.create("/companies", json: #"{"name": "Acme"}"#, idField: "company_id")
            let user = try await api.create("/users", json: #"{"name": "Ada", "email": "ada@example.org"}"#,
                                            idField: "user_id")
            let path = "/users/\(user)/company"
            let missing = try await api.send(.put, path, json: #"{}"#)
            #expect(missing.status == 422 && missing.errorFields == ["company_id"], "\(missing.body)")
            for body in [#"{"company_id": 1}"#, #"{"company_id": "acme"}"#, "{\"company_id\": \"\(Self.unknownID)\"}"] {
                let answer = try await api.send(.put, path, json: body)
                #expect(answer.status == 422 && answer.errorFields == ["company_id"], "\(body): \(answer.body)")
            }
            #expect(try await api.send(.put, path, json: #"{"company_id": null}"#).status == 409)

            let joined = try await api.send(.put, path, json: "{\"company_id\": \"\(acme)\"}")
            #expect(joined.status == 200 && joined.json["version"] as? Int == 2 && joined.json["user_id"] as? String == user)
            #expect(try await api.send(.put, path, json: "{\"company_id\": \"\(acme)\"}").status == 409)
            let left = try await api.send(.put, path, json: #"{"company_id": null}"#)
            #expect(left.status == 200 && left.json["version"] as? Int == 3)
            let renamed = try await api.send(.put, "/users/\(user)/name", json: #"{"name": "Ada King"}"#)
            #expect(renamed.status == 200 && renamed.json["version"] as? Int == 4)
            #expect(try await api.eventCount() == 5)
        }
    }
}
