import Foundation
import Hummingbird
import NIOCore
import ShopDomain

/// The request context of both HTTP services: a 1 MiB body limit (API.md
/// "Common rules"; Hummingbird's default is 2 MiB) and our JSON coders.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-Id`, or one we made; logged with every line.
    public var requestID: String = ""
    /// The client's connection (see `clientGone()`).
    public let channel: any Channel

    public static let bodyLimit = 1024 * 1024

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    public var maxUploadSize: Int { Self.bodyLimit }
    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }
}

/// JSON as API.md wants it: stable key order, unescaped slashes, RFC 3339
/// UTC timestamps with milliseconds (the domain's `Timestamp`).
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp")
            }
            return date
        }
        return decoder
    }
}
