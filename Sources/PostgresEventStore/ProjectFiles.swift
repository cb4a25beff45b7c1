public import Foundation

/// Finds files the processes read at start-up (`migrations/`,
/// `openapi.yaml`): an explicit path when given, else in the working
/// directory, else beside an ancestor of the executable — so a checkout's
/// `.build/debug/command-service` finds the checkout's files, and an image
/// that copies them next to the binaries works too.
public enum ProjectFiles {
    public static func locate(_ name: String, explicit: String? = nil) throws -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            var directory = executable.deletingLastPathComponent()
            while directory.path != "/" {
                candidates.append(directory)
                directory = directory.deletingLastPathComponent()
            }
        }
        for candidate in candidates {
            let url = candidate.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw ProjectFileMissing(name: name)
    }
}

public struct ProjectFileMissing: Error, CustomStringConvertible {
    public var name: String

    public var description: String {
        switch name {
        case "migrations": "cannot find the migrations directory; pass --migrations or set CHRONICLE_MIGRATIONS"
        case "openapi.yaml": "cannot find openapi.yaml; set CHRONICLE_OPENAPI to its path"
        default: "cannot find \(name)"
        }
    }
}
