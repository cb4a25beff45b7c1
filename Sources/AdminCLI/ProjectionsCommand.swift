public import ArgumentParser
import EventSourcing
import Foundation
import LibPQ
import PostgresEventStore
import ReadModel

extension AdminCommand {
    /// `chronicle-admin projections`: where every projection stands.
    public struct Projections: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show each projection's state, checkpoint, lag, last error and lease holder.")

        @OptionGroup var options: AdminOptions

        @Flag(help: "Print JSON (one array) instead of a table, for scripts.")
        var json = false

        public init() {}

        struct Status: Encodable {
            var name: String
            var state: String
            var checkpoint: Int64
            var lagEvents: Int
            var lastError: String?
            var leaseHolder: String?

            enum CodingKeys: String, CodingKey {
                case name, state, checkpoint, lagEvents = "lag_events", lastError = "last_error"
                case leaseHolder = "lease_holder"
            }
        }

        public func run() async throws {
            let connection = try await options.connect()
            let statuses: [Status]
            do {
                statuses = try await Self.statuses(on: connection)
            } catch let error as PostgresError where error.sqlState == PostgresError.Code.undefinedTable {
                throw AdminFailure("the database has no Chronicle schema yet; run `chronicle-admin migrate`")
            }
            await connection.close()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
                print(String(decoding: try encoder.encode(statuses), as: UTF8.self))
            } else {
                print(Self.table(statuses))
            }
        }

        static func statuses(on connection: Connection) async throws -> [Status] {
            let checkpoints = try await ProjectionCheckpoints.loadAll(on: connection)
            let names = Array(Set(AdminCommand.projections.names + checkpoints.map(\.name))).sorted()
            let holders = try await ProjectionLease.holders(of: names, on: connection)
            let found = names.map { name in checkpoints.first { $0.name == name } }
            let positions = found.map { $0?.position ?? .start }
            let lags = try await EventLog.lags(after: positions, on: connection)
            return names.indices.map { index in
                Status(name: names[index], state: found[index]?.state.rawValue ?? "not started",
                       checkpoint: positions[index].globalPosition, lagEvents: lags[index].events,
                       lastError: found[index]?.lastError, leaseHolder: holders[names[index]])
            }
        }

        static func table(_ statuses: [Status]) -> String {
            let header = ["NAME", "STATE", "CHECKPOINT", "LAG", "LEASE HOLDER", "LAST ERROR"]
            let rows = statuses.map {
                [$0.name, $0.state, "\($0.checkpoint)", "\($0.lagEvents)", $0.leaseHolder ?? "-", $0.lastError ?? "-"]
            }
            let widths = header.indices.map { column in
                ([header] + rows).map { $0[column].count }.max() ?? 0
            }
            return ([header] + rows).map { row in
                row.enumerated().map { column, cell in
                    column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            }.joined(separator: "\n")
        }
    }
}
