import Foundation
import HTTPTypes
import TestSupport
import Testing

/// The accounts context through the real routers, projector and watcher
/// (API.md "Accounts: companies and their users").
@Suite("Accounts: companies and users over HTTP")
struct AccountsAPITests {
    func post(_ api: QueryAPIHarness, _ path: String, _ json: String? = nil) async throws -> QueryAPIHarness.Answer {
        try await QueryAPIHarness.send(api.command, .post, path, json: json)
    }

    func put(_ api: QueryAPIHarness, _ path: String, _ json: String) async throws -> QueryAPIHarness.Answer {
        try await QueryAPIHarness.send(api.command, .put, path, json: json)
    }

    func events(_ api: QueryAPIHarness) async throws -> Int {
        try await api.probe.query("SELECT count(*) FROM events WHERE stream_type IN ('company', 'user')")[0].decode(Int.self, at: 0)
    }

    @Test func aCompanyIsCreatedInactiveAndActivatedOnce() async throws {
        try await QueryAPIHarness.run { api in
            let created = try await post(api, "/companies", #"{"name": "  Acme  "}"#)
            #expect(created.status == 201, "\(created.body)")
            let id = try #require(created.json["company_id"] as? String)
            #expect(created.headers[.location] == "/companies/\(id)" && created.json["version"] as? Int == 1)
            let token = try #require(created.json["consistency_token"] as? String)
            let view = try await api.get("/companies/\(id)", after: token, waitMilliseconds: 30000)
            #expect(view.consistency == "fresh" && view.json["name"] as? String == "Acme" && view.json["active"] as? Bool == false,
                    "\(view.body)")
            #expect(Set(view.json.keys) == ["company_id", "name", "active", "user_count", "created_at", "updated_at", "version"])

            let activated = try await api.run(.post, "/companies/\(id)/activate")
            let before = try await events(api)
            let twice = try await post(api, "/companies/\(id)/activate")
            #expect(twice.status == 409 && twice.isProblem, "\(twice.body)")
            #expect(try await events(api) == before, "a rejected command appends nothing")
            let active = try await api.get("/companies/\(id)", after: activated.token, waitMilliseconds: 30000)
            #expect(active.json["active"] as? Bool == true && active.json["version"] as? Int == 2)
            #expect(try await post(api, "/companies/\(UUID().uuidString.lowercased())/activate").status == 404)
            #expect(try await post(api, "/companies/not-a-uuid/activate").status == 404)
            let inactive = try await api.run(.post, "/companies/\(id)/deactivate")
            let list = try await api.get("/companies?active=false", after: inactive.token, waitMilliseconds: 30000)
            #expect((list.json["items"] as? [[String: Any]])?.compactMap { $0["company_id"] as? String } == [id], "\(list.body)")
            let bad = try await api.get("/companies?active=maybe")
            #expect(bad.status == 422 && bad.errorFields == ["active"], "\(bad.body)")
        }
    }

    /// A user's company name follows renames; user counts follow moves;
    /// the dashboard shows both.
    @Test func usersMoveBetweenCompaniesAndTheViewsFollow() async throws {
        try await QueryAPIHarness.run { api in
            let acme = try await api.run(.post, "/companies", json: #"{"name": "Acme"}"#).id
            let globex = try await api.run(.post, "/companies", json: #"{"name": "Globex"}"#).id
            let ada = try await api.run(.post, "/users", json: #"{"name": "Ada", "email": "ada@example.com", "company_id": "\#(acme)"}"#)
            let bob = try await api.run(.post, "/users", json: #"{"name": "Bob", "email": "bob@example.com", "company_id": "\#(acme)"}"#)
            _ = try await api.run(.post, "/users", json: #"{"name": "Cy", "email": "cy@example.com"}"#)
            let renamed = try await api.run(.put, "/companies/\(acme)/name", json: #"{"name": "Acme Corp"}"#)
            let user = try await api.get("/users/\(ada.id)", after: renamed.token, waitMilliseconds: 30000)
            #expect(user.consistency == "fresh" && user.json["company_id"] as? String == acme
                    && user.json["company_name"] as? String == "Acme Corp", "\(user.body)")

            _ = try await api.run(.put, "/users/\(bob.id)/company", json: #"{"company_id": "\#(globex)"}"#)
            let left = try await api.run(.put, "/users/\(ada.id)/company", json: #"{"company_id": null}"#)
            let dashboard = try await api.get("/reports/company-dashboard", after: left.token, waitMilliseconds: 30000)
            let companies = dashboard.json["companies"] as? [[String: Any]] ?? []
            #expect(companies.compactMap { $0["company_id"] as? String } == [globex, acme], "most users first: \(dashboard.body)")
            #expect(companies.compactMap { $0["user_count"] as? Int } == [1, 0])
            let totals = dashboard.json["totals"] as? [String: Int] ?? [:]
            #expect(totals == ["companies": 2, "active_companies": 0, "users": 3, "users_without_company": 2], "\(dashboard.body)")
            let gone = try await api.get("/users/\(ada.id)", after: left.token, waitMilliseconds: 30000)
            #expect(gone.json["company_id"] is NSNull && gone.json["company_name"] is NSNull, "\(gone.body)")
            let members = try await api.get("/users?company_id=\(globex)", after: left.token, waitMilliseconds: 30000)
            #expect((members.json["items"] as? [[String: Any]])?.compactMap { $0["user_id"] as? String } == [bob.id])
            #expect(members.json["total"] as? Int == 1)
            #expect(try await api.get("/users?company_id=xyz").errorFields == ["company_id"])

            let before = try await events(api)
            let again = try await put(api, "/users/\(bob.id)/company", #"{"company_id": "\#(globex)"}"#)
            #expect(again.status == 409, "\(again.body)")
            let none = try await put(api, "/users/\(ada.id)/company", #"{"company_id": null}"#)
            #expect(none.status == 409, "\(none.body)")
            let unknown = try await put(api, "/users/\(bob.id)/company", #"{"company_id": "\#(UUID().uuidString.lowercased())"}"#)
            #expect(unknown.status == 422 && unknown.errorFields == ["company_id"], "\(unknown.body)")
            let missing = try await put(api, "/users/\(bob.id)/company", "{}")
            #expect(missing.status == 422 && missing.errorFields == ["company_id"], "\(missing.body)")
            #expect(try await events(api) == before, "rejected commands append nothing")
        }
    }

    /// Email is unique among users, case-insensitively, and a claim space
    /// of its own: a customer may have the same address.
    @Test func aUsersEmailIsUniqueAmongUsersOnly() async throws {
        try await QueryAPIHarness.run { api in
            _ = try await api.run(.post, "/customers", json: #"{"name": "Same", "email": "same@example.com"}"#)
            let user = try await post(api, "/users", #"{"name": "Same", "email": "same@example.com"}"#)
            #expect(user.status == 201, "the customer's address is free for a user: \(user.body)")
            let taken = try await post(api, "/users", #"{"name": "Other", "email": "SAME@example.com"}"#)
            #expect(taken.status == 409 && taken.isProblem, "\(taken.body)")
            let unknown = try await post(api, "/users", #"{"name": "X", "email": "x@example.com", "company_id": "\#(UUID().uuidString.lowercased())"}"#)
            #expect(unknown.status == 422 && unknown.errorFields == ["company_id"], "\(unknown.body)")
            let bad = try await post(api, "/users", #"{"name": "", "email": "nope", "company_id": 7}"#)
            #expect(bad.status == 422 && Set(bad.errorFields) == ["name", "email", "company_id"], "\(bad.body)")
        }
    }

    /// Both projections rebuild beside and swap, and go on.
    @Test func theAccountsProjectionsAreRebuiltAndGoOn() async throws {
        try await QueryAPIHarness.run { api in
            let acme = try await api.run(.post, "/companies", json: #"{"name": "Acme"}"#).id
            for n in 0..<12 {
                _ = try await api.run(.post, "/users", json: #"{"name": "User \#(n)", "email": "u\#(n)@example.com", "company_id": "\#(acme)"}"#)
            }
            _ = try await api.run(.put, "/companies/\(acme)/name", json: #"{"name": "Acme Two"}"#)
            try await api.caughtUp()
            let users = try await api.get("/users?page_size=100").body
            let dashboard = try await api.get("/reports/company-dashboard").body
            for projection in ["users", "companies"] {
                let rebuild = try await ChildProcess.run(RebuildTests.admin, ["rebuild-projection", projection,
                                                                              "--database-url", api.conninfo])
                #expect(rebuild.status == 0, "\(rebuild.output)")
            }
            #expect(try await api.get("/users?page_size=100").body == users)
            #expect(try await api.get("/reports/company-dashboard").body == dashboard)
            let after = try await api.run(.post, "/users", json: #"{"name": "After", "email": "after@example.com", "company_id": "\#(acme)"}"#)
            let company = try await api.get("/companies/\(acme)", after: after.token, waitMilliseconds: 30000)
            #expect(company.json["user_count"] as? Int == 13, "\(company.body)")
        }
    }
}
