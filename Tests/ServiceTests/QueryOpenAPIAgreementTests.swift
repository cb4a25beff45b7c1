import Foundation
import HTTPCommon
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import QueryService
import Shop
import ShopDomain
import TestSupport
import Testing
import Wire

/// openapi.yaml and the query service describe the same API: the same
/// operations, the parameters and headers each route reads, and bodies of
/// the documented shape.
@Suite("openapi.yaml agrees with the query service")
struct QueryOpenAPIAgreementTests {
    static func document() throws -> [String: Any] {
        let data = try Data(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("openapi.yaml"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Follows `$ref`s within the document.
    static func resolve(_ value: Any, in document: [String: Any]) -> [String: Any] {
        guard var object = value as? [String: Any] else { return [:] }
        while let reference = object["$ref"] as? String, reference.hasPrefix("#/") {
            var target: Any = document
            for key in reference.dropFirst(2).split(separator: "/") {
                target = (target as? [String: Any])?[String(key)] ?? [:]
            }
            object = target as? [String: Any] ?? [:]
        }
        return object
    }

    @Test func queryServiceRoutesAreTheDocumentedOnes() async throws {
        try await TestDatabase.withMigrated { database in
            let command = try QueryServiceCommand.parse([
                "--database-url", database.conninfo, "--migrations", TestEnvironment.migrationsDirectory.path,
            ])
            let host = try ServiceHost(name: "query-service", settings: command.settings, registry: PrometheusCollectorRegistry())
            let router = try command.build(host, contexts: ServedContexts.queries).router
            #expect(OpenAPIAgreementTests.routedOperations(router)
                    == (try OpenAPIAgreementTests.documentedOperations(service: "query")))
            try await testApplication(router).test(.router) { client in
                try await client.execute(uri: "/openapi.json", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    let served = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))
                    #expect(NSDictionary(dictionary: served as? [String: Any] ?? [:])
                            .isEqual(to: try Self.document()))
                }
            }
            await host.pool.close()
        }
    }

    /// What each query route reads (see `QueryController`): query
    /// parameters, and the consistency headers every route takes.
    static let readParameters: [String: Set<String>] = [
        "GET /orders/{id}": ["path id"],
        "GET /orders": ["query customer_id", "query status", "query page", "query page_size"],
        "GET /customers/{id}": ["path id"],
        "GET /customers": ["query page", "query page_size"],
        "GET /reports/daily-sales": ["query from", "query to"],
        "GET /projections": [],
    ]

    @Test func eachOperationDocumentsTheParametersAndHeadersItsRouteReads() throws {
        let document = try Self.document()
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        for (operation, expected) in Self.readParameters {
            let parts = operation.split(separator: " ")
            let item = Self.resolve(paths[String(parts[1])]?[parts[0].lowercased()] as Any, in: document)
            #expect(item["x-service"] as? String == "query", "\(operation)")
            let parameters = (item["parameters"] as? [Any] ?? []).map { Self.resolve($0, in: document) }
            let names = Set(parameters.compactMap { parameter -> String? in
                guard let place = parameter["in"] as? String, let name = parameter["name"] as? String else { return nil }
                return "\(place) \(name)"
            })
            #expect(names == expected.union(["header Consistency-Token", "header Consistency-Wait", "header X-Request-Id"]),
                    "\(operation)")
            let required = Set(parameters.filter { $0["required"] as? Bool == true }.compactMap { $0["name"] as? String })
            let expectedRequired: Set<String> = operation.contains("{id}") ? ["id"]
                : operation == "GET /reports/daily-sales" ? ["from", "to"] : []
            #expect(required == expectedRequired, "\(operation)")

            let responses = item["responses"] as? [String: Any] ?? [:]
            for status in ["200", "404"] where responses[status] != nil {
                let response = Self.resolve(responses[status] as Any, in: document)
                let headers = response["headers"] as? [String: Any] ?? [:]
                #expect(headers["Consistency"] != nil, "\(operation) \(status) must document Consistency")
            }
            #expect(Set(responses.keys).isSuperset(of: ["200", "400", "422", "503"]), "\(operation)")
            #expect((responses["404"] != nil) == operation.contains("{id}"), "\(operation)")
        }
    }

    /// Problems of `value` against `schema`: missing required keys, keys the
    /// schema does not name, wrong JSON types, values outside an enum.
    static func problems(_ value: Any, _ schemaValue: Any, in document: [String: Any], at path: String = "$") -> [String] {
        let schema = resolve(schemaValue, in: document)
        if let all = schema["allOf"] as? [Any] {
            return all.flatMap { problems(value, $0, in: document, at: path) }
        }
        var found: [String] = []
        let types: [String] = (schema["type"] as? String).map { [$0] } ?? (schema["type"] as? [String] ?? [])
        if let choices = schema["enum"] as? [String], let text = value as? String, !choices.contains(text) {
            found.append("\(path): \(text) is not one of \(choices)")
        }
        if value is NSNull {
            if !types.isEmpty && !types.contains("null") { found.append("\(path): null") }
            return found
        }
        if let object = value as? [String: Any] {
            if !types.isEmpty && !types.contains("object") { found.append("\(path): an object") }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path).\(key) is missing")
            }
            for (key, item) in object {
                guard let property = properties[key] else {
                    found.append("\(path).\(key) is not documented")
                    continue
                }
                found += problems(item, property, in: document, at: "\(path).\(key)")
            }
        } else if let array = value as? [Any] {
            if !types.isEmpty && !types.contains("array") { found.append("\(path): an array") }
            for (index, item) in array.enumerated() {
                found += problems(item, schema["items"] as Any, in: document, at: "\(path)[\(index)]")
            }
        } else if value is String {
            if !types.isEmpty && !types.contains("string") { found.append("\(path): a string") }
            if let pattern = schema["pattern"] as? String, let text = value as? String,
               text.range(of: pattern, options: .regularExpression) == nil {
                found.append("\(path): '\(text)' does not match \(pattern)")
            }
        } else if let number = value as? NSNumber {
            let isInteger = number.doubleValue.rounded() == number.doubleValue
            if !types.isEmpty && !types.contains("number") && !(types.contains("integer") && isInteger) {
                found.append("\(path): a number")
            }
        }
        return found
    }

    @Test func everyAnswerHasTheDocumentedShape() async throws {
        try await QueryAPIHarness.run { api in
            let document = try Self.document()
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let customer = try await api.registerCustomer("Shape")
            let order = try await api.placeOrder(customer: customer.id)
            _ = try await api.run(.post, "/orders/\(order.id)/confirm")
            try await api.caughtUp()
            let today = String(Timestamp.format(Date()).prefix(10))
            let requests: [(String, String, String)] = [
                ("/orders/{id}", "/orders/\(order.id)", "200"), ("/orders/{id}", "/orders/\(UUID())", "404"),
                ("/orders", "/orders", "200"), ("/orders", "/orders?page=0", "422"),
                ("/customers/{id}", "/customers/\(customer.id)", "200"), ("/customers", "/customers", "200"),
                ("/reports/daily-sales", "/reports/daily-sales?from=\(today)&to=\(today)", "200"),
                ("/projections", "/projections", "200"),
            ]
            for (template, path, status) in requests {
                let answer = try await api.get(path)
                #expect(String(answer.status) == status, "\(path): \(answer.body)")
                let operation = Self.resolve(paths[template]?["get"] as Any, in: document)
                let response = Self.resolve((operation["responses"] as? [String: Any])?[status] as Any, in: document)
                let content = try #require(response["content"] as? [String: Any], "\(path)")
                let mediaType = try #require(answer.headers[.contentType])
                let schema = try #require((content[mediaType] as? [String: Any])?["schema"], "\(path): \(mediaType)")
                let body = try JSONSerialization.jsonObject(with: Data(answer.body.utf8), options: [.fragmentsAllowed])
                #expect(Self.problems(body, schema, in: document) == [], "\(path)")
                for (name, header) in response["headers"] as? [String: Any] ?? [:]
                where Self.resolve(header, in: document)["required"] as? Bool == true {
                    #expect(answer.headers[HTTPField.Name(name)!] != nil, "\(path) lacks \(name)")
                }
            }
        }
    }
}
