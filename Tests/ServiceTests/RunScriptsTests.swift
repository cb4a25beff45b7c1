import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing

/// `make run` is `scripts/with-postgres.sh durable .data/pg --
/// scripts/run-all.sh`: run here the same way, in a process group of its
/// own, and stopped the way a terminal's Ctrl-C does it.
@Suite("make run: Ctrl-C stops everything")
struct RunScriptsTests {
    static let scripts = TestEnvironment.repositoryRoot.appendingPathComponent("scripts")

    /// How the terminal's Ctrl-C comes: once (run-all.sh drains the
    /// services), twice (the second kills run-all.sh mid-drain), or once to
    /// a command that dies of it (as `swift test` under `make test` does).
    enum Interrupt: String, CaseIterable, Sendable { case once, twiceWhileDraining, commandDiesOfIt }

    @Test(arguments: Interrupt.allCases)
    func ctrlCStopsThePrivateClusterAndASecondRunStartsAgain(_ interrupt: Interrupt) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("chronicle-run-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let data = work.appendingPathComponent("pg").path
        let cluster = Self.scripts.appendingPathComponent("pg-cluster.sh")
        defer { _ = try? FileManager.default.removeItem(at: work) }
        let command = interrupt == .commandDiesOfIt
            ? ["/bin/bash", "-c", "echo listening listening listening; exec sleep 600"]
            : [Self.scripts.appendingPathComponent("run-all.sh").path]
        for round in 1...2 {
            // setsid: the scripts lead a process group of their own, as a
            // terminal's foreground job does, so the test can signal it whole.
            let run = try ChildProcess(URL(fileURLWithPath: "/usr/bin/setsid"), [
                Self.scripts.appendingPathComponent("with-postgres.sh").path, "durable", data, "--",
            ] + command, environment: [
                "DATABASE_URL": "", "BIN_DIR": TestEnvironment.binDirectory.path,
                "CHRONICLE_COMMAND_PORT": "0", "CHRONICLE_QUERY_PORT": "0", "CHRONICLE_PROJECTOR_PORT": "0",
            ])
            do {
                try await waitUntil("round \(round): three services listening", within: .seconds(90)) {
                    run.output.components(separatedBy: "listening").count - 1 >= 3
                }
                let url = try await ChildProcess.run(cluster, ["url", data])
                #expect(url.status == 0, "round \(round): the private cluster is not running: \(url.output)")

                kill(-run.pid, SIGINT)
                if interrupt == .twiceWhileDraining {
                    try await waitUntil("round \(round): run-all.sh stopping the services", within: Bound.projection) {
                        run.output.contains("sending SIGTERM to")
                    }
                    kill(-run.pid, SIGINT)
                }
                let status = await run.wait(timeout: .seconds(60))
                #expect(status != nil, "round \(round): still running 60 s after Ctrl-C:\n\(run.output)")
                if interrupt == .once {
                    // The services drained and run-all.sh ended normally.
                    #expect(status == 0 || status == 130, "round \(round): status \(String(describing: status)):\n\(run.output)")
                    let services = Self.servicePIDs(in: run.output)
                    #expect(services.count == 3, "\(run.output)")
                    for pid in services { #expect(kill(pid, 0) == -1, "round \(round): service \(pid) outlived Ctrl-C") }
                }
                let after = try await ChildProcess.run(cluster, ["url", data])
                #expect(after.status != 0, "round \(round): the cluster outlived Ctrl-C:\n\(run.output)")
            } catch {
                kill(-run.pid, SIGKILL)
                _ = try? await ChildProcess.run(cluster, ["stop", data])
                throw error
            }
            // Services stopped by a second Ctrl-C finish draining on their own.
            for pid in Self.servicePIDs(in: run.output) {
                try await waitUntil("service \(pid) to exit", within: Bound.projection) { kill(pid, 0) == -1 }
            }
        }
        _ = try? await ChildProcess.run(cluster, ["stop", data])
    }

    /// The pids run-all.sh names when it stops the services.
    static func servicePIDs(in output: String) -> [pid_t] {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("sending SIGTERM to") }) else { return [] }
        return line.split(separator: " ").compactMap { pid_t($0) }
    }
}
