public import Foundation

/// The one JSON configuration of Chronicle, for stored event payloads and API
/// bodies alike: keys sorted and `/` unescaped, so the same value always
/// encodes to the same bytes, and times as `Timestamp` strings (RFC 3339 UTC,
/// milliseconds).
///
/// Shared instances: the coders are safe to use from many tasks at once, and
/// making one per event or per response was work on every hot path.
public enum WireJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "not an RFC 3339 UTC time: \(text)"))
            }
            return date
        }
        return decoder
    }()
}
