import Wire
extension Order {
    /// `order.placed` v1 → v2. Version 1 stored each line's price as integer
    /// cents (`"unit_price_cents": 1999`) and the address under `"address"`;
    /// version 2 stores prices as the API writes them (`"unit_price": "19.99"`)
    /// and names the address `"shipping_address"`, like the request does.
    /// Everything else passes through untouched.
    @Sendable static func upcastPlacedFromV1(_ data: [UInt8]) throws -> [UInt8] {
        func malformed(_ reason: String) -> EventDecodingError {
            .malformedData(eventType: "order.placed", schemaVersion: 1, reason: reason)
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch {
            throw malformed("not JSON: \(error)")
        }
        guard case .object(var placed) = document else { throw malformed("not an object") }
        guard let address = placed.removeValue(forKey: "address") else { throw malformed("missing key address") }
        placed["shipping_address"] = address
        guard case .array(let lines)? = placed["lines"] else { throw malformed("lines is not an array") }
        placed["lines"] = .array(try lines.enumerated().map { index, line in
            guard case .object(var fields) = line,
                  case .number(let cents)? = fields.removeValue(forKey: "unit_price_cents"),
                  let minorUnits = try? cents.integer(), minorUnits >= 0 else {
                throw malformed("lines[\(index)] lacks a non-negative integer unit_price_cents")
            }
            fields["unit_price"] = .string(Money(minorUnits: minorUnits).description)
            return .object(fields)
        })
        return JSONValue.object(placed).serialized()
    }
}
