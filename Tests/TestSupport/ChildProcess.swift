public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn and reaped with waitpid.
/// (Foundation's `Process` on Linux can miss the exit of a script whose
/// grandchild daemonises, as `pg_ctl start` does, and then waits forever.)
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    /// Where the child's stdout and stderr go.
    public let outputFile: URL

    /// - Parameters:
    ///   - environment: set in the child, over the test process's own.
    ///   - unsetting: removed from the child's environment (a test of
    ///     configuration from the environment must not inherit the suite's
    ///     `DATABASE_URL`).
    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                unsetting: [String] = []) throws {
        outputFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("chronicle-child-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else: a child that inherited another test's socket would
        // keep that connection open after the test closed it.
        Self.closeFrom3(&actions)
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        for key in unsetting { merged[key] = nil }
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // Default dispositions and no blocked signals, as a shell started
        // from a terminal would give: the test process may ignore SIGINT
        // (signal handling of in-process services), and an ignored signal
        // is inherited — a script could then never trap it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw TestSetupError("cannot start \(executable.path): \(String(cString: strerror(status)))")
        }
        self.pid = pid
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// `posix_spawn_file_actions_addclosefrom_np(actions, 3)` (glibc 2.34),
    /// looked up at run time: Swift's Glibc module does not import it.
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
    }

    private let reaped = KilledFlag()

    /// A child nobody waited for (its test failed before stopping it) is
    /// killed when the last reference goes, instead of living on, retrying a
    /// database that was dropped.
    deinit {
        guard !reaped.isSet else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// Waits for the exit (on a thread of its own, off the cooperative pool)
    /// and returns the exit status, or 128 + signal number if killed.
    public func wait() async -> Int32 {
        let pid = pid
        let reaped = reaped
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                reaped.set()
                let signalled = status & 0x7f
                continuation.resume(returning: signalled == 0 ? (status >> 8) & 0xff : 128 + signalled)
            }
        }
    }

    /// Waits at most `timeout`; kills the child with SIGKILL if it is still
    /// running then, and returns nil.
    public func wait(timeout: Duration) async -> Int32? {
        let pid = pid
        let killed = KilledFlag()
        let timer = Task {
            try await Task.sleep(for: timeout)
            killed.set()
            kill(pid, SIGKILL)
        }
        let status = await wait()
        timer.cancel()
        return killed.isSet ? nil : status
    }

    public var output: String {
        (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }

    /// Runs to completion and returns (status, output).
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                           unsetting: [String] = []) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments, environment: environment, unsetting: unsetting)
        let status = await child.wait()
        defer { try? FileManager.default.removeItem(at: child.outputFile) }
        return (status, child.output)
    }
}

private final class KilledFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
