import CLibPQ

/// Connection strings, parsed by libpq itself so URIs and key=value strings
/// behave exactly as in psql.
public enum ConnectionString {
    /// `base` with some parameters replaced (e.g. `["dbname": "t_1"]`), as a
    /// key=value string. Parameters `base` leaves out still come from `PG*`.
    public static func overriding(_ base: String, with overrides: [String: String]) throws -> String {
        var parameters = try parse(base)
        for (key, value) in overrides { parameters[key] = value }
        return parameters.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(quote($0.value))" }
            .joined(separator: " ")
    }

    /// `base` with server settings for every session it opens (e.g.
    /// `["synchronous_commit": "off"]`), added to its `options` (`-c k=v`)
    /// after any it already has, so these win.
    public static func withSessionSettings(_ base: String, _ settings: [String: String]) throws -> String {
        guard !settings.isEmpty else { return base }
        let existing = try parse(base)["options"].map { [$0] } ?? []
        // Inside `options`, spaces separate switches and a backslash escapes.
        let switches = settings.sorted { $0.key < $1.key }.map { key, value in
            "-c \(key)=" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: " ", with: "\\ ")
        }
        return try overriding(base, with: ["options": (existing + switches).joined(separator: " ")])
    }

    /// The parameters `conninfo` sets explicitly.
    public static func parse(_ conninfo: String) throws -> [String: String] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0).trimmingTrailingNewlines() } ?? "invalid connection string"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(kind: .connection, message: message)
        }
        defer { PQconninfoFree(options) }
        var parameters: [String: String] = [:]
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val { parameters[String(cString: keyword)] = String(cString: value) }
            cursor += 1
        }
        return parameters
    }

    private static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
