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

/// The real command-service router on a fresh PostgreSQL database, driven
/// in-process (HummingbirdTesting's `.router`).
struct CommandAPIHarness: Sendable {
    let client: any TestClientProtocol
    let database: TestDatabase
    let probe: ConnectionPool

    static func run(_ body: @escaping @Sendable (CommandAPIHarness) async throws -> Void) async throws {
        try await TestDatabase.withMigrated { database in
            let settings = try ServiceSettings.parse([
                "--database-url", database.conninfo, "--migrations", TestEnvironment.migrationsDirectory.path,
                "--pool-size", "12", "--pool-timeout", "30",
            ])
            let host = try ServiceHost(name: "command-service", settings: settings, registry: PrometheusCollectorRegistry())
            let app = testApplication(try CommandServiceCommand().buildRouter(host, contexts: ServedContexts.commands))
            let probe = database.makePool(maxConnections: 2)
            do {
                try await app.test(.router) { client in
                    try await body(CommandAPIHarness(client: client, database: database, probe: probe))
                }
            } catch {
                await host.pool.close()
                await probe.close()
                throw error
            }
            await host.pool.close()
            await probe.close()
        }
    }

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPFields
        var body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }

        var isProblem: Bool { headers[.contentType] == "application/problem+json" }
        var errorFields: [String] { (json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }
    }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]? = nil,
              headers: [String: String] = [:]) async throws -> Answer {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        let response = try await client.executeRequest(
            uri: path, method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) })
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
    }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ path: String, json: String, headers: [String: String] = [:])
        async throws -> Answer {
        try await send(method, path, body: Array(json.utf8), headers: headers)
    }

    func eventCount() async throws -> Int {
        try await probe.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0)
    }

    func registerCustomer(name: String = "Ada Lovelace", email: String? = nil) async throws -> String {
        let email = email ?? "ada-\(UUID().uuidString.prefix(8))@example.com"
        let answer = try await send(.post, "/customers", json: #"{"name": "\#(name)", "email": "\#(email)"}"#)
        #expect(answer.status == 201, "\(answer.body)")
        return try #require(answer.json["customer_id"] as? String)
    }

    static func orderJSON(customer: String, items: String = #"[{"sku": "A-1", "quantity": 2, "unit_price": "19.99"}]"#,
                          address: String = #"{"line1": "1 Main St", "city": "London", "postal_code": "N1 9GU", "country": "GB"}"#)
        -> String {
        #"{"customer_id": "\#(customer)", "items": \#(items), "shipping_address": \#(address)}"#
    }

    func placeOrder(customer: String, items: String = #"[{"sku": "A-1", "quantity": 2, "unit_price": "19.99"}]"#)
        async throws -> String {
        let answer = try await send(.post, "/orders", json: Self.orderJSON(customer: customer, items: items))
        #expect(answer.status == 201, "\(answer.body)")
        return try #require(answer.json["order_id"] as? String)
    }
}
