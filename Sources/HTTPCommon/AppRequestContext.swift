public import Foundation
public import Hummingbird
public import NIOCore
import Wire

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
    public var requestDecoder: JSONDecoder { WireJSON.decoder }
    public var responseEncoder: JSONEncoder { WireJSON.encoder }
}
