import CommandService
import Foundation
import HTTPCommon
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import Prometheus
import Shop
import TestSupport
import Testing

/// One malformed or refused command: where it goes, what it carries, and the
/// status API.md documents for it.
struct RejectedCase: Sendable, CustomStringConvertible {
    var name: String
    var method: HTTPRequest.Method
    /// `{customer}`, `{pending}`, `{confirmed}`, `{shipped}` stand for ids made in the fixture.
    var path: String
    var body: [UInt8]?
    var headers: [String: String] = [:]
    var status: Int
    /// Fields the 422 must name (all of them).
    var fields: [String] = []

    var description: String { name }

    init(_ name: String, _ method: HTTPRequest.Method, _ path: String, _ body: String?, _ status: Int,
         fields: [String] = [], headers: [String: String] = [:]) {
        self.name = name
        self.method = method
        self.path = path
        self.body = body.map { Array($0.utf8) }
        self.status = status
        self.fields = fields
        self.headers = headers
    }

    init(_ name: String, _ method: HTTPRequest.Method, _ path: String, bytes: [UInt8], _ status: Int) {
        self.name = name
        self.method = method
        self.path = path
        self.body = bytes
        self.status = status
    }
}

private let address = #"{"line1": "1 Main St", "city": "London", "postal_code": "N1", "country": "GB"}"#
private let item = #"{"sku": "A-1", "quantity": 1, "unit_price": "19.99"}"#

private func order(items: String = "[\(item)]", address: String = address, customer: String = "{customer}") -> String {
    #"{"customer_id": "\#(customer)", "items": \#(items), "shipping_address": \#(address)}"#
}

private func withAddress(_ field: String, _ value: String) -> String {
    var fields = ["line1": #""1 Main St""#, "city": #""London""#, "postal_code": #""N1""#, "country": #""GB""#]
    fields[field] = value
    return "{" + fields.map { #""\#($0.key)": \#($0.value)"# }.joined(separator: ", ") + "}"
}

let rejectedCases: [RejectedCase] = [
    // POST /customers: bodies that are not JSON objects
    .init("missing body", .post, "/customers", nil, 400),
    .init("empty body", .post, "/customers", "", 400),
    .init("truncated JSON", .post, "/customers", "{", 400),
    .init("array body", .post, "/customers", "[]", 400),
    .init("string body", .post, "/customers", #""Ada""#, 400),
    .init("null body", .post, "/customers", "null", 400),
    .init("trailing garbage", .post, "/customers", #"{"name": "Ada", "email": "a@b.co"} x"#, 400),
    .init("duplicate keys", .post, "/customers", #"{"name": "Ada", "name": "Bob", "email": "a@b.co"}"#, 400),
    .init("raw NUL byte", .post, "/customers", bytes: Array(#"{"name": "A"#.utf8) + [0] + Array(#"", "email": "a@b.co"}"#.utf8), 400),
    .init("invalid UTF-8", .post, "/customers", bytes: Array(#"{"name": ""#.utf8) + [0xff, 0xfe] + Array(#"", "email": "a@b.co"}"#.utf8), 400),
    .init("2 MiB body", .post, "/customers", #"{"name": ""# + String(repeating: "x", count: 2 * 1024 * 1024) + #"", "email": "a@b.co"}"#, 413),
    // POST /customers: fields
    .init("no fields", .post, "/customers", "{}", 422, fields: ["name", "email"]),
    .init("empty name", .post, "/customers", #"{"name": "", "email": "a@b.co"}"#, 422, fields: ["name"]),
    .init("blank name", .post, "/customers", #"{"name": "   ", "email": "a@b.co"}"#, 422, fields: ["name"]),
    .init("numeric name", .post, "/customers", #"{"name": 123, "email": "a@b.co"}"#, 422, fields: ["name"]),
    .init("array name", .post, "/customers", #"{"name": ["Ada"], "email": "a@b.co"}"#, 422, fields: ["name"]),
    .init("201-character name", .post, "/customers", #"{"name": "\#(String(repeating: "é", count: 201))", "email": "a@b.co"}"#, 422, fields: ["name"]),
    .init("escaped NUL in name", .post, "/customers", #"{"name": "Ada\u0000", "email": "a@b.co"}"#, 422, fields: ["name"]),
    .init("bell in name", .post, "/customers", #"{"name": "Ada\u0007", "email": "a@b.co"}"#, 422, fields: ["name"]),
    .init("email without @", .post, "/customers", #"{"name": "Ada", "email": "not-an-email"}"#, 422, fields: ["email"]),
    .init("255-character email", .post, "/customers", #"{"name": "Ada", "email": "\#(String(repeating: "a", count: 60)).\#(String(repeating: "b", count: 60))@\#(String(repeating: "c", count: 60)).\#(String(repeating: "d", count: 66)).co"}"#, 422, fields: ["email"]),
    .init("null email", .post, "/customers", #"{"name": "Ada", "email": null}"#, 422, fields: ["email"]),
    .init("both invalid", .post, "/customers", #"{"name": false, "email": 7}"#, 422, fields: ["name", "email"]),
    .init("email taken, other case", .post, "/customers", #"{"name": "Ada", "email": "TAKEN@example.com"}"#, 409),
    // PUT /customers/{id}/name
    .init("rename non-UUID", .put, "/customers/not-a-uuid/name", #"{"name": "Ada"}"#, 404),
    .init("rename unknown", .put, "/customers/\(UUID().uuidString.lowercased())/name", #"{"name": "Ada"}"#, 404),
    .init("rename to empty", .put, "/customers/{customer}/name", #"{"name": ""}"#, 422, fields: ["name"]),
    .init("rename without name", .put, "/customers/{customer}/name", "{}", 422, fields: ["name"]),
    .init("rename to boolean", .put, "/customers/{customer}/name", #"{"name": true}"#, 422, fields: ["name"]),
    .init("rename with no body", .put, "/customers/{customer}/name", nil, 400),
    // POST /orders
    .init("order without fields", .post, "/orders", "{}", 422, fields: ["customer_id", "items", "shipping_address"]),
    .init("customer_id not a UUID", .post, "/orders", order(customer: "nope"), 422, fields: ["customer_id"]),
    .init("unknown customer", .post, "/orders", order(customer: UUID().uuidString.lowercased()), 422, fields: ["customer_id"]),
    .init("no items", .post, "/orders", order(items: "[]"), 422, fields: ["items"]),
    .init("101 items", .post, "/orders", order(items: "[" + (0..<101).map { #"{"sku": "S\#($0)", "quantity": 1, "unit_price": "1.00"}"# }.joined(separator: ",") + "]"), 422, fields: ["items"]),
    .init("items not an array", .post, "/orders", order(items: "{}"), 422, fields: ["items"]),
    .init("quantity 0", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 0, "unit_price": "1.00"}]"#), 422, fields: ["items[0].quantity"]),
    .init("quantity 1001", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 1001, "unit_price": "1.00"}]"#), 422, fields: ["items[0].quantity"]),
    .init("quantity 1.5", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 1.5, "unit_price": "1.00"}]"#), 422, fields: ["items[0].quantity"]),
    .init("quantity as string", .post, "/orders", order(items: #"[{"sku": "A", "quantity": "2", "unit_price": "1.00"}]"#), 422, fields: ["items[0].quantity"]),
    .init("quantity 1e30", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 1e30, "unit_price": "1.00"}]"#), 422, fields: ["items[0].quantity"]),
    .init("quantity beyond Int64", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 99999999999999999999999, "unit_price": "1.00"}]"#), 422, fields: ["items[0].quantity"]),
    .init("price as float", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 1, "unit_price": 19.99}]"#), 422, fields: ["items[0].unit_price"]),
    .init("price with 3 decimals", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 1, "unit_price": "1.234"}]"#), 422, fields: ["items[0].unit_price"]),
    .init("negative price", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 1, "unit_price": "-1.00"}]"#), 422, fields: ["items[0].unit_price"]),
    .init("price with 8 digits", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 1, "unit_price": "12345678.00"}]"#), 422, fields: ["items[0].unit_price"]),
    .init("price in exponent form", .post, "/orders", order(items: #"[{"sku": "A", "quantity": 1, "unit_price": "1e3"}]"#), 422, fields: ["items[0].unit_price"]),
    .init("empty sku", .post, "/orders", order(items: #"[{"sku": "", "quantity": 1, "unit_price": "1.00"}]"#), 422, fields: ["items[0].sku"]),
    .init("sku with spaces", .post, "/orders", order(items: #"[{"sku": "bad sku!", "quantity": 1, "unit_price": "1.00"}]"#), 422, fields: ["items[0].sku"]),
    .init("65-character sku", .post, "/orders", order(items: #"[{"sku": "\#(String(repeating: "k", count: 65))", "quantity": 1, "unit_price": "1.00"}]"#), 422, fields: ["items[0].sku"]),
    .init("duplicate skus", .post, "/orders", order(items: "[\(item), \(item)]"), 422, fields: ["items[1].sku"]),
    .init("every item field wrong", .post, "/orders", order(items: #"[{"sku": 1, "quantity": "x", "unit_price": 2}]"#), 422, fields: ["items[0].sku", "items[0].quantity", "items[0].unit_price"]),
    .init("lower-case country", .post, "/orders", order(address: withAddress("country", #""gb""#)), 422, fields: ["shipping_address.country"]),
    .init("unknown country", .post, "/orders", order(address: withAddress("country", #""XX""#)), 422, fields: ["shipping_address.country"]),
    .init("empty line1", .post, "/orders", order(address: withAddress("line1", #""""#)), 422, fields: ["shipping_address.line1"]),
    .init("201-character city", .post, "/orders", order(address: withAddress("city", "\"\(String(repeating: "c", count: 201))\"")), 422, fields: ["shipping_address.city"]),
    .init("address not an object", .post, "/orders", order(address: #""1 Main St""#), 422, fields: ["shipping_address"]),
    .init("address missing", .post, "/orders", #"{"customer_id": "{customer}", "items": [\#(item)]}"#, 422, fields: ["shipping_address"]),
    // POST /orders/{id}/items
    .init("add item, non-UUID order", .post, "/orders/123/items", item, 404),
    .init("add item, unknown order", .post, "/orders/\(UUID().uuidString.lowercased())/items", item, 404),
    .init("add item at another price", .post, "/orders/{pending}/items", #"{"sku": "A-1", "quantity": 1, "unit_price": "20.00"}"#, 409),
    .init("add item beyond 1000 per line", .post, "/orders/{pending}/items", #"{"sku": "A-1", "quantity": 1000, "unit_price": "19.99"}"#, 409),
    .init("add item, quantity 0", .post, "/orders/{pending}/items", #"{"sku": "B", "quantity": 0, "unit_price": "1.00"}"#, 422, fields: ["quantity"]),
    .init("add item to confirmed order", .post, "/orders/{confirmed}/items", #"{"sku": "B", "quantity": 1, "unit_price": "1.00"}"#, 409),
    .init("add item without body", .post, "/orders/{pending}/items", nil, 400),
    // DELETE /orders/{id}/items/{sku}
    .init("remove a sku not on the order", .delete, "/orders/{pending}/items/ZZZ", nil, 404),
    .init("remove an impossible sku", .delete, "/orders/{pending}/items/bad%21sku", nil, 404),
    .init("remove the last line", .delete, "/orders/{pending}/items/A-1", nil, 409),
    .init("remove from unknown order", .delete, "/orders/\(UUID().uuidString.lowercased())/items/A-1", nil, 404),
    // PUT /orders/{id}/shipping-address
    .init("address with unknown country", .put, "/orders/{pending}/shipping-address", withAddress("country", #""ZZ""#), 422, fields: ["country"]),
    .init("address of a shipped order", .put, "/orders/{shipped}/shipping-address", address, 409),
    // transitions
    .init("confirm twice", .post, "/orders/{confirmed}/confirm", nil, 409),
    .init("confirm non-UUID", .post, "/orders/xyz/confirm", nil, 404),
    .init("ship a pending order", .post, "/orders/{pending}/ship", nil, 409),
    .init("ship with a 201-character carrier", .post, "/orders/{confirmed}/ship", #"{"carrier": "\#(String(repeating: "d", count: 201))"}"#, 422, fields: ["carrier"]),
    .init("cancel without reason", .post, "/orders/{pending}/cancel", "{}", 422, fields: ["reason"]),
    .init("cancel with empty reason", .post, "/orders/{pending}/cancel", #"{"reason": ""}"#, 422, fields: ["reason"]),
    .init("cancel with 501-character reason", .post, "/orders/{pending}/cancel", #"{"reason": "\#(String(repeating: "r", count: 501))"}"#, 422, fields: ["reason"]),
    .init("cancel a shipped order", .post, "/orders/{shipped}/cancel", #"{"reason": "late"}"#, 409),
    // headers and routes
    .init("If-Match not a number", .post, "/orders/{pending}/confirm", nil, 400, headers: ["If-Match": "abc"]),
    .init("If-Match weak tag", .post, "/orders/{pending}/confirm", nil, 400, headers: ["If-Match": "W/\"1\""]),
    .init("If-Match stale", .post, "/orders/{pending}/confirm", nil, 412, headers: ["If-Match": "\"9\""]),
    .init("Idempotency-Key with a space", .post, "/orders/{pending}/confirm", nil, 400, headers: ["Idempotency-Key": "a b"]),
    .init("unknown route", .post, "/invoices", "{}", 404),
    .init("wrong method", .get, "/customers", nil, 404),
    // POST /items (catalog)
    .init("item without body", .post, "/items", nil, 400),
    .init("item body not JSON", .post, "/items", "{sku", 400),
    .init("item without fields", .post, "/items", "{}", 422, fields: ["sku", "description"]),
    .init("item sku with a space", .post, "/items", #"{"sku": "bad sku", "description": "Mug"}"#, 422, fields: ["sku"]),
    .init("item sku of 65 characters", .post, "/items", #"{"sku": "\#(String(repeating: "s", count: 65))", "description": "Mug"}"#, 422, fields: ["sku"]),
    .init("item sku not a string", .post, "/items", #"{"sku": 7, "description": 8}"#, 422, fields: ["sku", "description"]),
    .init("item description blank", .post, "/items", #"{"sku": "NEW-1", "description": "   "}"#, 422, fields: ["description"]),
    .init("item description of 2001 characters", .post, "/items", #"{"sku": "NEW-2", "description": "\#(String(repeating: "d", count: 2001))"}"#, 422, fields: ["description"]),
    .init("item description with a control character", .post, "/items", #"{"sku": "NEW-3", "description": "a\u0007b"}"#, 422, fields: ["description"]),
    .init("item sku taken", .post, "/items", #"{"sku": "{item}", "description": "Again"}"#, 409),
    .init("item create with If-Match", .post, "/items", #"{"sku": "NEW-4", "description": "Mug"}"#, 412, headers: ["If-Match": "\"1\""]),
    // PUT /items/{sku}/description
    .init("describe an unknown sku", .put, "/items/NO-SUCH-SKU/description", #"{"description": "Mug"}"#, 404),
    .init("describe an impossible sku", .put, "/items/bad%21sku/description", #"{"description": "Mug"}"#, 404),
    .init("describe without description", .put, "/items/{item}/description", "{}", 422, fields: ["description"]),
    .init("describe with If-Match stale", .put, "/items/{item}/description", #"{"description": "Mug"}"#, 412, headers: ["If-Match": "\"9\""]),
    // companies (accounts)
    .init("company without body", .post, "/companies", nil, 400),
    .init("company without name", .post, "/companies", "{}", 422, fields: ["name"]),
    .init("company name of 201 characters", .post, "/companies", #"{"name": "\#(String(repeating: "n", count: 201))"}"#, 422, fields: ["name"]),
    .init("activate a non-UUID company", .post, "/companies/acme/activate", nil, 404),
    .init("activate an unknown company", .post, "/companies/\(UUID().uuidString.lowercased())/activate", nil, 404),
    .init("activate an active company", .post, "/companies/{company}/activate", nil, 409),
    .init("deactivate an inactive company", .post, "/companies/{inactive-company}/deactivate", nil, 409),
    .init("rename a company to blank", .put, "/companies/{company}/name", #"{"name": " "}"#, 422, fields: ["name"]),
    .init("rename an unknown company", .put, "/companies/\(UUID().uuidString.lowercased())/name", #"{"name": "X"}"#, 404),
    // users (accounts)
    .init("user without fields", .post, "/users", "{}", 422, fields: ["name", "email"]),
    .init("user with every field wrong", .post, "/users", #"{"name": 1, "email": "no", "company_id": "x"}"#, 422, fields: ["name", "email", "company_id"]),
    .init("user email taken, other case", .post, "/users", #"{"name": "Ada", "email": "USER-TAKEN@example.com"}"#, 409),
    .init("user in an unknown company", .post, "/users", #"{"name": "Ada", "email": "new-user@example.com", "company_id": "\#(UUID().uuidString.lowercased())"}"#, 422, fields: ["company_id"]),
    .init("rename a user to blank", .put, "/users/{user}/name", #"{"name": ""}"#, 422, fields: ["name"]),
    .init("rename an unknown user", .put, "/users/\(UUID().uuidString.lowercased())/name", #"{"name": "X"}"#, 404),
    .init("move a user without company_id", .put, "/users/{user}/company", "{}", 422, fields: ["company_id"]),
    .init("move a user to its company", .put, "/users/{user}/company", #"{"company_id": "{company}"}"#, 409),
    .init("move a user to an unknown company", .put, "/users/{user}/company", #"{"company_id": "\#(UUID().uuidString.lowercased())"}"#, 422, fields: ["company_id"]),
    .init("move a non-UUID user", .put, "/users/bob/company", #"{"company_id": null}"#, 404),
]

@Suite("Command service: rejected commands")
struct RejectedCommandTests {
    /// The cases cover the contract, not a count of themselves: every
    /// command operation openapi.yaml documents has rejected cases, every
    /// client-error status API.md gives a command appears, and each case has
    /// a name of its own (the parameterised test tells them apart by it).
    @Test func theCasesCoverEveryCommandRouteAndEveryClientErrorStatus() throws {
        let document = try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("openapi.yaml"))) as? [String: Any]
        let paths = try #require(document?["paths"] as? [String: [String: Any]])
        var uncovered: [String] = []
        for (template, operations) in paths {
            for method in operations.keys where ["post", "put", "delete"].contains(method) {
                let pattern = "^" + template.replacingOccurrences(of: #"\{[a-z_]+\}"#, with: "[^/]+", options: .regularExpression) + "$"
                let covered = rejectedCases.contains { rejected in
                    rejected.method.rawValue.lowercased() == method
                        && rejected.path.range(of: pattern, options: .regularExpression) != nil
                }
                if !covered { uncovered.append("\(method.uppercased()) \(template)") }
            }
        }
        #expect(uncovered.isEmpty, "command operations without a rejected case: \(uncovered.sorted())")
        #expect(Set(rejectedCases.map(\.status)).isSuperset(of: [400, 404, 409, 412, 413, 422]))
        #expect(Set(rejectedCases.map(\.name)).count == rejectedCases.count, "two cases share a name")
    }

    @Test(arguments: rejectedCases)
    func rejectedWithItsStatusAndAppendsNothing(_ rejected: RejectedCase) async throws {
        // All cases share one fixture: none of them may change it.
        let fixture = try await RejectionFixture.shared.get()
        try await fixture.app.test(.router) { client in
            let api = CommandAPIHarness(client: client, database: fixture.database, probe: fixture.probe)
            // The cases run in parallel on one database: each marks its
            // request, whose id every event it appended would carry as
            // correlation_id, so an unwanted append is blamed on its case.
            let marker = "rejected-\(UUID().uuidString.lowercased())"
            var headers = rejected.headers
            headers["X-Request-Id"] = marker
            let path = rejected.path.replacingOccurrences(of: "{customer}", with: fixture.customer)
                .replacingOccurrences(of: "{pending}", with: fixture.pending)
                .replacingOccurrences(of: "{confirmed}", with: fixture.confirmed)
                .replacingOccurrences(of: "{shipped}", with: fixture.shipped)
                .replacingOccurrences(of: "{item}", with: RejectionFixture.itemSku)
                .replacingOccurrences(of: "{company}", with: fixture.company)
                .replacingOccurrences(of: "{inactive-company}", with: fixture.inactiveCompany)
                .replacingOccurrences(of: "{user}", with: fixture.user)
            var body = rejected.body
            if let bytes = body, let text = String(bytes: bytes, encoding: .utf8) {
                body = Array(text.replacingOccurrences(of: "{customer}", with: fixture.customer)
                    .replacingOccurrences(of: "{item}", with: RejectionFixture.itemSku)
                    .replacingOccurrences(of: "{company}", with: fixture.company).utf8)
            }
            let answer = try await api.send(rejected.method, path, body: body, headers: headers)
            #expect(answer.status == rejected.status, "\(rejected.name): \(answer.body.prefix(300))")
            #expect(answer.isProblem, "\(rejected.name): \(answer.headers)")
            #expect(answer.json["status"] as? Int == rejected.status)
            if !rejected.fields.isEmpty {
                #expect(Set(answer.errorFields) == Set(rejected.fields), "\(rejected.name): \(answer.body)")
            }
            let appended = try await api.probe.query(
                "SELECT count(*) FROM events WHERE metadata->>'correlation_id' = \(marker)")[0].decode(Int.self, at: 0)
            #expect(appended == 0, "\(rejected.name) appended \(appended) events")
        }
    }
}

/// One database with a customer and orders in each state, built once for
/// every rejected case (they all must leave it unchanged).
actor RejectionFixture {
    static let shared = RejectionFixture()
    /// The sku of the fixture's item.
    static let itemSku = "TAKEN-SKU"

    struct Fixture: Sendable {
        var app: Application<RouterResponder<AppRequestContext>>
        var database: TestDatabase
        var probe: ConnectionPool
        var customer, pending, confirmed, shipped: String
        var company, inactiveCompany, user: String
    }

    private var task: Task<Fixture, Error>?

    func get() async throws -> Fixture {
        if task == nil { task = Task { try await Self.build() } }
        return try await task!.value
    }

    private static func build() async throws -> Fixture {
        let database = try await TestDatabase.createMigrated()
        let settings = try ServiceSettings.parse([
            "--database-url", database.conninfo, "--migrations", TestEnvironment.migrationsDirectory.path,
            "--pool-size", "8", "--pool-timeout", "30",
        ])
        let host = try ServiceHost(name: "command-service", settings: settings, registry: PrometheusCollectorRegistry())
        let app = testApplication(try CommandServiceCommand().buildRouter(host, contexts: ServedContexts.commands))
        let probe = database.makePool(maxConnections: 4)
        return try await app.test(.router) { client in
            let api = CommandAPIHarness(client: client, database: database, probe: probe)
            let customer = try await api.registerCustomer(email: "taken@example.com")
            let pending = try await api.placeOrder(customer: customer, items: "[\(item)]")
            let confirmed = try await api.placeOrder(customer: customer)
            #expect(try await api.send(.post, "/orders/\(confirmed)/confirm").status == 200)
            let shipped = try await api.placeOrder(customer: customer)
            #expect(try await api.send(.post, "/orders/\(shipped)/confirm").status == 200)
            #expect(try await api.send(.post, "/orders/\(shipped)/ship").status == 200)
            #expect(try await api.send(.post, "/items", json: #"{"sku": "\#(Self.itemSku)", "description": "Taken"}"#).status == 201)
            let company = try #require(try await api.send(.post, "/companies", json: #"{"name": "Acme"}"#).json["company_id"] as? String)
            #expect(try await api.send(.post, "/companies/\(company)/activate").status == 200)
            let inactive = try #require(try await api.send(.post, "/companies", json: #"{"name": "Idle"}"#).json["company_id"] as? String)
            let user = try #require(try await api.send(.post, "/users", json: #"{"name": "Ada", "email": "user-taken@example.com", "company_id": "\#(company)"}"#).json["user_id"] as? String)
            return Fixture(app: app, database: database, probe: probe, customer: customer, pending: pending,
                           confirmed: confirmed, shipped: shipped, company: company, inactiveCompany: inactive, user: user)
        }
    }
}
