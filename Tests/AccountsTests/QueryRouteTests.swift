import Foundation
import Testing

/// The accounts' query routes on the real query service, over views
/// projected from what the command routes appended.
@Suite("Accounts query routes")
struct QueryRouteTests {
    @Test func answersAreTheViewsAsJSON() async throws {
        try await RouteHarness.run { api in
            let acme = try await api.create("/companies", json: #"{"name": "Acme"}"#, idField: "company_id")
            let globex = try await api.create("/companies", json: #"{"name": "Globex"}"#, idField: "company_id")
            #expect(try await api.send(.post, "/companies/\(globex)/activate").status == 200)
            let ada = try await api.create("/users", json: """
                {"name": "Ada", "email": "ada@example.org", "company_id": "\(acme)"}
                """, idField: "user_id")
            _ = try await api.create("/users", json: #"{"name": "Bob", "email": "bob@example.org"}"#, idField: "user_id")
            #expect(try await api.send(.put, "/companies/\(acme)/name", json: #"{"name": "Acme Corp"}"#).status == 200)
            try await api.projectLog()

            let user = try await api.get("/users/\(ada)")
            #expect(user.status == 200)
            #expect(Set(user.json.keys) == ["user_id", "name", "email", "company_id", "company_name", "created_at",
                                            "updated_at", "version"])
            #expect(user.json["company_name"] as? String == "Acme Corp")
            #expect(user.json["company_id"] as? String == acme)

            let company = try await api.get("/companies/\(acme)")
            #expect(Set(company.json.keys) == ["company_id", "name", "active", "user_count", "created_at", "updated_at",
                                               "version"])
            #expect(company.json["user_count"] as? Int == 1 && company.json["version"] as? Int == 2)

            let list = try await api.get("/users?company_id=\(acme)&page=1&page_size=10")
            #expect(list.status == 200 && list.json["total"] as? Int == 1, "\(list.body)")
            let active = try await api.get("/companies?active=true")
            #expect((active.json["items"] as? [[String: Any]])?.map { $0["company_id"] as? String } == [globex])
            let inactive = try await api.get("/companies?active=false&page_size=1&page=2")
            #expect(inactive.json["total"] as? Int == 1 && (inactive.json["items"] as? [Any])?.isEmpty == true)

            let dashboard = try await api.get("/reports/company-dashboard")
            #expect(dashboard.status == 200)
            let entries = try #require(dashboard.json["companies"] as? [[String: Any]])
            #expect(entries.map { $0["company_id"] as? String } == [acme, globex])
            #expect(dashboard.json["totals"] as? [String: Int]
                        == ["companies": 2, "active_companies": 1, "users": 2, "users_without_company": 1])
        }
    }

    @Test func badParametersAre422NamingThem() async throws {
        try await RouteHarness.run { api in
            for (path, fields) in [
                ("/users?company_id=acme", ["company_id"]), ("/users?company_id=", ["company_id"]),
                ("/users?page=0&page_size=101", ["page", "page_size"]),
                ("/companies?active=yes", ["active"]), ("/companies?active=TRUE&page=1.5", ["active", "page"]),
            ] {
                let answer = try await api.get(path)
                #expect(answer.status == 422 && answer.isProblem, "\(path): \(answer.body)")
                #expect(answer.errorFields == fields, "\(path): \(answer.body)")
            }
        }
    }

    @Test func unknownOrMalformedIdsAre404() async throws {
        try await RouteHarness.run { api in
            for path in ["/users/nope", "/users/3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "/companies/12",
                         "/companies/3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4b"] {
                let answer = try await api.get(path)
                #expect(answer.status == 404 && answer.isProblem, "\(path): \(answer.body)")
            }
            let empty = try await api.get("/reports/company-dashboard")
            #expect(empty.status == 200 && empty.body.contains(#""companies":[]"#), "\(empty.body)")
        }
    }
}
