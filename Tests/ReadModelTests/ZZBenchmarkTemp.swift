import EventSourcing
import Foundation
import LibPQ
import ReadModel
import ShopDomain
import Testing

@Suite struct ZZBenchmarkTemp {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RM_BENCH"] != nil))
    func bench() async throws {
        let steps = Int(ProcessInfo.processInfo.environment["RM_BENCH"]!)!
        let clock = ContinuousClock()
        var sim: Simulation!
        let genTime = clock.measure { sim = Simulation.run(seed: 42, steps: steps) }
        let events = sim.log.events
        print("generated \(events.count) events in \(genTime)")
        let decodeTime = try clock.measure { for e in events { _ = try ShopEvent.decode(e) } }
        print("decode all: \(decodeTime)")
        try await withConnection { connection in
            for projection in ShopProjections.all() {
                var statementsTime = Duration.zero
                let t = try await clock.measure {
                    for start in stride(from: 0, to: events.count, by: 1000) {
                        let batch = Array(events[start..<min(start + 1000, events.count)])
                        try await connection.withTransaction { try await projection.apply(batch, on: $0) }
                    }
                }
                _ = statementsTime
                let rate = Double(events.count) / (Double(t.components.seconds) + Double(t.components.attoseconds) / 1e18)
                print("\(projection.name): \(t) → \(Int(rate)) events/s")
            }
        }
    }
}
