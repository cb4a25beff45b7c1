import Foundation
import LibPQ
import Testing

@Suite struct ZZExperimentTemp {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RM_EXP"] != nil))
    func executeWithParameters() async throws {
        try await withConnection { connection in
            try await connection.execute(unsafeScript: "PREPARE rm_x(int) AS SELECT $1 + 1")
            let results = try await connection.pipeline(["EXECUTE rm_x(\(5))", "EXECUTE rm_x(\(41))"])
            for r in results {
                switch r {
                case .success(let q): print("ok", try q[0].decode(Int.self, at: 0))
                case .failure(let e): print("fail", e)
                }
            }
        }
    }
}
