import EventSourcing
import LibPQ
import ShopDomain

/// The statements that apply one batch of events, sent in one round trip.
///
/// Every statement only writes; what it needs to look up (a line's amount,
/// a customer's name, an order's total) is a subselect or a CTE, so applying
/// a batch needs no read round trip per event. The statements go to the
/// server through libpq's pipeline mode: executed in order, inside the
/// caller's transaction, one round trip for the whole batch.
struct ProjectionBatch {
    let projection: String
    private var statements: [SQL] = []
    /// The event each statement applies, for error reports.
    private var sources: [RecordedEvent] = []

    init(projection: String) { self.projection = projection }

    /// The typed event, upcast to its current shape.
    func decode(_ recorded: RecordedEvent) throws -> ShopEvent {
        do {
            return try ShopEvent.decode(recorded)
        } catch {
            throw ProjectionError(projection: projection, event: recorded, underlying: error)
        }
    }

    mutating func add(_ statement: SQL, for recorded: RecordedEvent) {
        statements.append(statement)
        sources.append(recorded)
    }

    /// Runs the statements; throws the first failure, naming its event. A
    /// failed statement aborts the caller's transaction, which rolls back.
    func run(on connection: Connection) async throws {
        guard !statements.isEmpty else { return }
        let outcomes = try await connection.pipeline(statements)
        for (index, outcome) in outcomes.enumerated() {
            if case .failure(let error) = outcome {
                throw ProjectionError(projection: projection, event: sources[index], underlying: error)
            }
        }
    }
}
