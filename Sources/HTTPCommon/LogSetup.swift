import Foundation
public import Logging
import Synchronization
import Wire

public enum LogSetup {
    private static let bootstrapped = Mutex(false)

    /// Sets the process-wide log handler once (later calls do nothing, as
    /// swift-log allows one bootstrap per process).
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .text: TextLogHandler(label: label)
            case .json: JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}

/// swift-log's text lines on stderr, with metadata kept as given until a
/// line is written: `StreamLogHandler` renders its metadata again each time
/// a key is set, and every request sets its `request_id` (2 % of a
/// request's CPU in the services' profiles, at a level that logs nothing).
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    private var output: StreamLogHandler

    public init(label: String) { output = StreamLogHandler.standardError(label: label) }

    public var logLevel: Logger.Level {
        get { output.logLevel }
        set { output.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.metadata = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        output.log(event: event)
    }
}

/// One JSON object per line on stderr: time, level, label, message and the
/// metadata (request ids, errors), for log shippers.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let output = Mutex(FileHandle.standardError)

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [
            "time": Timestamp.format(Date()), "level": event.level.rawValue, "label": label,
            "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = value.description
        }
        guard var line = try? Data(JSONBytesEncoder.encode(fields)) else { return }
        line.append(0x0a)
        Self.output.withLock { $0.write(line) }
    }
}
