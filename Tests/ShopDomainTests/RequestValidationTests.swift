import Foundation
import Shop
import ShopDomain
import TestSupport
import Testing
import Wire

/// The command bodies of API.md, to run one table over all of them.
enum CommandBody: String, CaseIterable, CustomTestStringConvertible {
    case registerCustomer, renameCustomer, placeOrder, addItem, changeShippingAddress, shipOrder, cancelOrder

    /// The problem `parse` reports for `body`, or `nil` when it accepts it.
    func problem(_ body: [UInt8]) -> RequestProblem? {
        do throws(RequestProblem) {
            switch self {
            case .registerCustomer: _ = try RegisterCustomerRequest.parse(body)
            case .renameCustomer: _ = try RenameCustomerRequest.parse(body)
            case .placeOrder: _ = try PlaceOrderRequest.parse(body)
            case .addItem: _ = try AddItemRequest.parse(body)
            case .changeShippingAddress: _ = try ChangeShippingAddressRequest.parse(body)
            case .shipOrder: _ = try ShipOrderRequest.parse(body)
            case .cancelOrder: _ = try CancelOrderRequest.parse(body)
            }
            return nil
        } catch {
            return error
        }
    }

    func problem(_ body: String) -> RequestProblem? { problem(Array(body.utf8)) }

    var testDescription: String { rawValue }
}

private func invalid(_ pairs: (String, String)...) -> RequestProblem {
    .invalid(pairs.map { FieldError(field: $0.0, message: $0.1) })
}

private let customerID = "0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01"
private let address = #"{"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"}"#
private let item = #"{"sku": "MUG", "quantity": 2, "unit_price": "4.50"}"#

/// A place-order body with `items` and `address` spliced in.
private func order(items: String = "[\(item)]", address: String = address, customer: String = "\"\(customerID)\"") -> String {
    #"{"customer_id": \#(customer), "items": \#(items), "shipping_address": \#(address)}"#
}

@Suite("Request validation")
struct RequestValidationTests {
    // MARK: 400: not a JSON object

    @Test(arguments: CommandBody.allCases.filter { $0 != .shipOrder })
    func anEmptyBodyIsNotAnObject(_ body: CommandBody) {
        #expect(body.problem("") == .notAnObject)
        #expect(body.problem(" \r\n\t") == .notAnObject)
    }

    @Test(arguments: CommandBody.allCases, ["null", "[]", "[{}]", "\"name\"", "42", "true", "1.5"])
    func aBodyMustBeAnObject(_ body: CommandBody, _ json: String) {
        #expect(body.problem(json) == .notAnObject)
    }

    @Test(arguments: CommandBody.allCases, [
        "{", "{\"name\": \"Ada\",}", "{\"name\": 'Ada'}", "{name: \"Ada\"}", "{\"name\": \"Ada\"} trailing",
        "{\"name\": \"Ada\"}{}", "{\"name\": \"A\tda\"}", "{\"name\": \"Ada\", \"name\": \"Bob\"}", "{\"q\": 01}",
        "{\"q\": NaN}", "{\"name\": \"\\ud800\"}", "\u{FEFF}{}", "{\"a\": " + String(repeating: "[", count: 80),
    ])
    func malformedJSONIsReported(_ body: CommandBody, _ json: String) {
        guard case .malformedJSON(let reason)? = body.problem(json) else {
            Issue.record("expected malformed JSON, got \(String(describing: body.problem(json)))")
            return
        }
        #expect(reason.contains("at byte"))
    }

    @Test(arguments: CommandBody.allCases)
    func invalidUTF8IsMalformed(_ body: CommandBody) {
        #expect(body.problem([0x7B, 0x22, 0x6E, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D])
            == .malformedJSON("invalid UTF-8 at byte 6"))
    }

    // MARK: 422: fields, body by body

    @Test(arguments: [
        (#"{}"#, invalid(("name", "is required"), ("email", "is required"))),
        (#"{"name": null, "email": null}"#,
         invalid(("name", "must be a string, not null"), ("email", "must be a string, not null"))),
        (#"{"name": 42, "email": ["ada@example.org"]}"#,
         invalid(("name", "must be a string, not number"), ("email", "must be a string, not array"))),
        (#"{"name": true, "email": {"address": "ada@example.org"}}"#,
         invalid(("name", "must be a string, not boolean"), ("email", "must be a string, not object"))),
        (#"{"name": "", "email": "ada@example.org"}"#, invalid(("name", "must not be empty"))),
        (#"{"name": " \t ", "email": "ada@example.org"}"#, invalid(("name", "must not contain control characters"))),
        (#"{"name": "   ", "email": "ada@example.org"}"#, invalid(("name", "must not be empty"))),
        (#"{"name": "Ada\u0000", "email": "ada@example.org"}"#, invalid(("name", "must not contain control characters"))),
        (#"{"name": "A\u0007da", "email": "ada@example.org"}"#, invalid(("name", "must not contain control characters"))),
        (#"{"name": "Ada\u007f", "email": "ada@example.org"}"#, invalid(("name", "must not contain control characters"))),
        (#"{"name": "Ada\nLovelace", "email": "ada@example.org"}"#,
         invalid(("name", "must not contain control characters"))),
        (#"{"name": "\#(String(repeating: "x", count: 201))", "email": "ada@example.org"}"#,
         invalid(("name", "must be at most 200 characters"))),
        (#"{"name": "Ada", "email": "not-an-email"}"#, invalid(("email", "must be a valid email address"))),
        (#"{"name": "Ada", "email": "ada@example.org "}"#, invalid(("email", "must be a valid email address"))),
        (#"{"name": "Ada", "email": ""}"#, invalid(("email", "must be a valid email address"))),
        (#"{"name": "Ada", "email": "\#(String(repeating: "a", count: 64))@\#(String(repeating: "b", count: 186)).org"}"#,
         invalid(("email", "must be at most 254 characters"))),
    ])
    func registerCustomerFields(_ json: String, _ problem: RequestProblem) {
        #expect(CommandBody.registerCustomer.problem(json) == problem)
    }

    @Test(arguments: [
        (#"{}"#, invalid(("name", "is required"))),
        (#"{"full_name": "Ada"}"#, invalid(("name", "is required"))),
        (#"{"name": {"first": "Ada"}}"#, invalid(("name", "must be a string, not object"))),
        (#"{"name": "\u0000"}"#, invalid(("name", "must not contain control characters"))),
    ])
    func renameCustomerFields(_ json: String, _ problem: RequestProblem) {
        #expect(CommandBody.renameCustomer.problem(json) == problem)
    }

    @Test(arguments: [
        ("{}", invalid(("customer_id", "is required"), ("items", "is required"), ("shipping_address", "is required"))),
        (order(customer: "\"123\""), invalid(("customer_id", "must be a UUID"))),
        (order(customer: "123"), invalid(("customer_id", "must be a string, not number"))),
        (order(customer: "\"{\(customerID)}\""), invalid(("customer_id", "must be a UUID"))),
        (order(items: "[]"), invalid(("items", "must contain between 1 and 100 items"))),
        (order(items: "[" + Array(repeating: item, count: 101).joined(separator: ",") + "]"),
         invalid(("items", "must contain between 1 and 100 items"))),
        (order(items: "\"MUG\""), invalid(("items", "must be an array, not string"))),
        (order(items: "{}"), invalid(("items", "must be an array, not object"))),
        (order(items: "[42, null]"),
         invalid(("items[0]", "must be an object, not number"), ("items[1]", "must be an object, not null"))),
        (order(items: "[{}]"), invalid(("items[0].sku", "is required"), ("items[0].quantity", "is required"),
                                       ("items[0].unit_price", "is required"))),
        (order(items: #"[{"sku": "MUG", "quantity": 0, "unit_price": "4.50"}]"#),
         invalid(("items[0].quantity", "must be between 1 and 1000"))),
        (order(items: #"[{"sku": "MUG", "quantity": 1001, "unit_price": "4.50"}]"#),
         invalid(("items[0].quantity", "must be between 1 and 1000"))),
        (order(items: #"[{"sku": "MUG", "quantity": -1, "unit_price": "4.50"}]"#),
         invalid(("items[0].quantity", "must be between 1 and 1000"))),
        (order(items: #"[{"sku": "MUG", "quantity": 1.5, "unit_price": "4.50"}]"#),
         invalid(("items[0].quantity", "must be an integer"))),
        (order(items: #"[{"sku": "MUG", "quantity": "2", "unit_price": "4.50"}]"#),
         invalid(("items[0].quantity", "must be an integer, not string"))),
        (order(items: #"[{"sku": "MUG", "quantity": 1e400, "unit_price": "4.50"}]"#),
         invalid(("items[0].quantity", "must be between 1 and 1000"))),
        (order(items: #"[{"sku": "MUG", "quantity": 99999999999999999999, "unit_price": "4.50"}]"#),
         invalid(("items[0].quantity", "must be between 1 and 1000"))),
        (order(items: #"[{"sku": "MUG", "quantity": 2, "unit_price": 4.50}]"#),
         invalid(("items[0].unit_price", "must be a string, not number"))),
        (order(items: #"[{"sku": "MUG", "quantity": 2, "unit_price": "4.505"}]"#),
         invalid(("items[0].unit_price",
                  "must be a decimal string of up to 7 digits and at most 2 fraction digits, such as \"19.99\""))),
        (order(items: #"[{"sku": "MUG", "quantity": 2, "unit_price": "-4.50"}]"#),
         invalid(("items[0].unit_price",
                  "must be a decimal string of up to 7 digits and at most 2 fraction digits, such as \"19.99\""))),
        (order(items: #"[{"sku": "", "quantity": 2, "unit_price": "4.50"}]"#),
         invalid(("items[0].sku", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'"))),
        (order(items: #"[{"sku": "MUG 1", "quantity": 2, "unit_price": "4.50"}]"#),
         invalid(("items[0].sku", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'"))),
        (order(items: #"[{"sku": "\#(String(repeating: "M", count: 65))", "quantity": 2, "unit_price": "4.50"}]"#),
         invalid(("items[0].sku", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'"))),
        (order(items: #"[\#(item), {"sku": "TEA", "quantity": 1, "unit_price": "2.00"}, \#(item)]"#),
         invalid(("items[2].sku", "repeats the sku of items[0]"))),
        (order(address: "\"Berlin\""), invalid(("shipping_address", "must be an object, not string"))),
        (order(address: "{}"), invalid(("shipping_address.line1", "is required"), ("shipping_address.city", "is required"),
                                        ("shipping_address.postal_code", "is required"),
                                        ("shipping_address.country", "is required"))),
        (order(address: #"{"line1": "x", "city": "Berlin", "postal_code": "10117", "country": "de"}"#),
         invalid(("shipping_address.country", "must be an ISO 3166-1 alpha-2 country code in upper case, such as \"DE\""))),
        (order(address: #"{"line1": "x", "city": "Berlin", "postal_code": "10117", "country": "XX"}"#),
         invalid(("shipping_address.country", "must be an ISO 3166-1 alpha-2 country code in upper case, such as \"DE\""))),
        (order(address: #"{"line1": "x", "line2": "", "city": "Berlin", "postal_code": " ", "country": "DE"}"#),
         invalid(("shipping_address.line2", "must not be empty"), ("shipping_address.postal_code", "must not be empty"))),
        (order(address: #"{"line1": "x", "line2": 2, "city": "\#(String(repeating: "y", count: 201))", "postal_code": "1", "country": "DE"}"#),
         invalid(("shipping_address.line2", "must be a string, not number"),
                 ("shipping_address.city", "must be at most 200 characters"))),
    ])
    func placeOrderFields(_ json: String, _ problem: RequestProblem) {
        #expect(CommandBody.placeOrder.problem(json) == problem)
    }

    @Test(arguments: [
        ("{}", invalid(("sku", "is required"), ("quantity", "is required"), ("unit_price", "is required"))),
        (#"{"sku": "MUG", "quantity": 2.0000001, "unit_price": "1e3"}"#,
         invalid(("quantity", "must be an integer"),
                 ("unit_price", "must be a decimal string of up to 7 digits and at most 2 fraction digits, such as \"19.99\""))),
        (#"{"sku": null, "quantity": null, "unit_price": null}"#,
         invalid(("sku", "must be a string, not null"), ("quantity", "must be an integer, not null"),
                 ("unit_price", "must be a string, not null"))),
        (#"{"sku": "MUG", "quantity": 2, "unit_price": "12345678"}"#,
         invalid(("unit_price", "must be a decimal string of up to 7 digits and at most 2 fraction digits, such as \"19.99\""))),
    ])
    func addItemFields(_ json: String, _ problem: RequestProblem) {
        #expect(CommandBody.addItem.problem(json) == problem)
    }

    @Test(arguments: [
        ("{}", invalid(("line1", "is required"), ("city", "is required"), ("postal_code", "is required"),
                       ("country", "is required"))),
        (#"{"line1": "", "line2": "\u0001", "city": 7, "postal_code": [], "country": "DEU"}"#,
         invalid(("line1", "must not be empty"), ("line2", "must not contain control characters"),
                 ("city", "must be a string, not number"), ("postal_code", "must be a string, not array"),
                 ("country", "must be an ISO 3166-1 alpha-2 country code in upper case, such as \"DE\""))),
        (#"{"shipping_address": \#(address)}"#,
         invalid(("line1", "is required"), ("city", "is required"), ("postal_code", "is required"),
                 ("country", "is required"))),
    ])
    func changeShippingAddressFields(_ json: String, _ problem: RequestProblem) {
        #expect(CommandBody.changeShippingAddress.problem(json) == problem)
    }

    @Test(arguments: [
        (#"{"carrier": 42, "tracking_number": ""}"#,
         invalid(("carrier", "must be a string, not number"), ("tracking_number", "must not be empty"))),
        (#"{"carrier": "\#(String(repeating: "c", count: 201))"}"#, invalid(("carrier", "must be at most 200 characters"))),
        (#"{"tracking_number": ["JD1"]}"#, invalid(("tracking_number", "must be a string, not array"))),
    ])
    func shipOrderFields(_ json: String, _ problem: RequestProblem) {
        #expect(CommandBody.shipOrder.problem(json) == problem)
    }

    @Test(arguments: [
        ("{}", invalid(("reason", "is required"))),
        (#"{"reason": ""}"#, invalid(("reason", "must not be empty"))),
        (#"{"reason": "  "}"#, invalid(("reason", "must not be empty"))),
        (#"{"reason": "\#(String(repeating: "r", count: 501))"}"#, invalid(("reason", "must be at most 500 characters"))),
        (#"{"reason": "oops\u001b[31m"}"#, invalid(("reason", "must not contain control characters"))),
        (#"{"reason": false}"#, invalid(("reason", "must be a string, not boolean"))),
    ])
    func cancelOrderFields(_ json: String, _ problem: RequestProblem) {
        #expect(CommandBody.cancelOrder.problem(json) == problem)
    }

    @Test func everyInvalidFieldIsReportedWithItsPath() {
        let body = #"""
            {"customer_id": "not-a-uuid",
             "items": [{"sku": "MUG", "quantity": 0, "unit_price": 4.5},
                       {"sku": "ok_1", "quantity": 1.5, "unit_price": "1.234"},
                       "spoon",
                       {"sku": "MUG", "quantity": 2, "unit_price": "4.50"},
                       {"quantity": 1e400, "unit_price": "-1"}],
             "shipping_address": {"line1": "  ", "line2": null, "city": "Berlin\u0000", "country": "de"},
             "note": "unknown fields are ignored"}
            """#
        #expect(CommandBody.placeOrder.problem(body) == invalid(
            ("customer_id", "must be a UUID"),
            ("items[0].quantity", "must be between 1 and 1000"),
            ("items[0].unit_price", "must be a string, not number"),
            ("items[1].quantity", "must be an integer"),
            ("items[1].unit_price", "must be a decimal string of up to 7 digits and at most 2 fraction digits, such as \"19.99\""),
            ("items[2]", "must be an object, not string"),
            ("items[3].sku", "repeats the sku of items[0]"),
            ("items[4].sku", "is required"),
            ("items[4].quantity", "must be between 1 and 1000"),
            ("items[4].unit_price", "must be a decimal string of up to 7 digits and at most 2 fraction digits, such as \"19.99\""),
            ("shipping_address.line1", "must not be empty"),
            ("shipping_address.city", "must not contain control characters"),
            ("shipping_address.postal_code", "is required"),
            ("shipping_address.country", "must be an ISO 3166-1 alpha-2 country code in upper case, such as \"DE\"")
        ))
    }

    // MARK: accepted bodies

    @Test func registersWithTrimmedNameAndTheEmailAsGiven() throws {
        let request = try RegisterCustomerRequest.parse(Array(
            #"{"name": "  Ada Lovelace\u00a0", "email": "Ada@Example.org", "customer_id": "ignored", "extra": [1, {"\u0000": null}]}"#.utf8))
        #expect(request == RegisterCustomerRequest(name: "Ada Lovelace", email: "Ada@Example.org"))
        #expect(request.command(at: Time.t0) == .register(name: "Ada Lovelace", email: "Ada@Example.org", at: Time.t0))
    }

    @Test func renames() throws {
        let request = try RenameCustomerRequest.parse(Array(#"{"name": "Zoë 🙂"}"#.utf8))
        #expect(request.command(at: Time.t1) == .rename(name: "Zoë 🙂", at: Time.t1))
    }

    @Test func placesAnOrder() throws {
        let body = #"""
            {"customer_id": "0B7F3A52-6C1E-4B8E-9A3D-2F1C5E7D9A01",
             "items": [{"sku": "MUG", "quantity": 2.0, "unit_price": "4.5"},
                       {"sku": "TEA-01", "quantity": 1, "unit_price": "19.99"}],
             "shipping_address": {"line1": " Unter den Linden 1 ", "line2": null, "city": "Berlin", "postal_code": "10117",
                                  "country": "DE"}}
            """#
        let request = try PlaceOrderRequest.parse(Array(body.utf8))
        #expect(request.command(at: Time.t0) == .place(
            customer: Fixture.ada,
            lines: [OrderLine(sku: "MUG", quantity: 2, unitPrice: "4.50"),
                    OrderLine(sku: "TEA-01", quantity: 1, unitPrice: "19.99")],
            shippingAddress: ShippingAddress(line1: "Unter den Linden 1", city: "Berlin", postalCode: "10117", country: "DE"),
            at: Time.t0))
    }

    @Test func placesAHundredLines() throws {
        let items = (0..<100).map { #"{"sku": "SKU-\#($0)", "quantity": 1, "unit_price": "1.00"}"# }.joined(separator: ",")
        let request = try PlaceOrderRequest.parse(Array(order(items: "[\(items)]").utf8))
        #expect(request.lines == Fixture.lines(100))
    }

    @Test func addsAnItem() throws {
        let request = try AddItemRequest.parse(Array(#"{"sku": "SPOON", "quantity": 1000, "unit_price": "0"}"#.utf8))
        #expect(request.command(at: Time.t1) == .addItem(OrderLine(sku: "SPOON", quantity: 1000, unitPrice: "0.00"),
                                                         at: Time.t1))
    }

    @Test func changesTheShippingAddress() throws {
        let request = try ChangeShippingAddressRequest.parse(Array(
            #"{"line1": "1 Rue de Rivoli", "line2": "Apt 4", "city": "Paris", "postal_code": "75001", "country": "FR"}"#.utf8))
        #expect(request.command(at: Time.t2) == .changeShippingAddress(Fixture.paris, at: Time.t2))
    }

    @Test(arguments: [
        ("", ShipOrderRequest()), ("  \n", ShipOrderRequest()), ("{}", ShipOrderRequest()),
        (#"{"carrier": null, "tracking_number": null}"#, ShipOrderRequest()),
        (#"{"carrier": " DHL "}"#, ShipOrderRequest(carrier: "DHL")),
        (#"{"carrier": "DHL", "tracking_number": "JD0001"}"#, ShipOrderRequest(carrier: "DHL", trackingNumber: "JD0001")),
    ])
    func shipsWithOptionalDetails(_ json: String, _ expected: ShipOrderRequest) throws {
        #expect(try ShipOrderRequest.parse(Array(json.utf8)) == expected)
    }

    @Test func cancelsWithATrimmedReason() throws {
        let request = try CancelOrderRequest.parse(Array(#"{"reason": "  found it cheaper  "}"#.utf8))
        #expect(request.command(at: Time.t3) == .cancel(reason: "found it cheaper", at: Time.t3))
    }

    // MARK: problems as text

    @Test func problemsDescribeThemselves() {
        #expect(RequestProblem.notAnObject.description == "The request body must be a JSON object.")
        #expect(RequestProblem.malformedJSON("unexpected end of input at byte 1").description
            == "The request body is not valid JSON: unexpected end of input at byte 1.")
        #expect(invalid(("name", "is required")).description == "The field name is required.")
        #expect(invalid(("name", "is required"), ("email", "is required")).description == "2 fields are invalid; see errors.")
        #expect(PlaceOrderRequest.unknownCustomer == invalid(("customer_id", "must name a registered customer")))
    }

    @Test func fieldErrorsEncodeAsTheProblemsErrorsMember() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try encoder.encode([FieldError(field: "items[0].quantity", message: "must be between 1 and 1000")])
        #expect(String(decoding: json, as: UTF8.self) == #"[{"field":"items[0].quantity","message":"must be between 1 and 1000"}]"#)
    }

    // MARK: robustness

    /// Truncated and corrupted variants of a valid body: whatever the bytes,
    /// every parser answers with a request or a problem (a crash would fail
    /// the whole run). A fixed seed keeps failures reproducible.
    @Test func corruptedBodiesNeverCrash() {
        var random = SplitMix64(seed: 0x5EED)
        let original = Array(order(items: "[\(item), {\"sku\": \"TEA\", \"quantity\": 1.0, \"unit_price\": \"0.5\"}]").utf8)
        let alphabet = Array(#"{}[]":,.-+eE0123456789\u "#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xFF]
        var outcomes: [String: Int] = [:]
        for _ in 0..<3000 {
            var body = original
            for _ in 0..<Int(random.next() % 4 + 1) {
                let index = Int(random.next() % UInt64(body.count))
                switch random.next() % 3 {
                case 0: body[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: body.remove(at: index)
                default: body.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: index)
                }
                if body.isEmpty { body = [0x20] }
            }
            if random.next() % 5 == 0 { body = Array(body.prefix(Int(random.next() % UInt64(body.count)))) }
            for command in CommandBody.allCases {
                let kind = switch command.problem(body) {
                case nil: "accepted"
                case .malformedJSON?: "malformed"
                case .notAnObject?: "not an object"
                case .invalid?: "invalid"
                }
                outcomes[kind, default: 0] += 1
            }
        }
        #expect(outcomes["malformed", default: 0] > 0)
        #expect(outcomes["invalid", default: 0] > 0)
        #expect(outcomes["accepted", default: 0] > 0)
    }
}

