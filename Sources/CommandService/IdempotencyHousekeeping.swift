import Logging
import PostgresEventStore
import ServiceLifecycle

/// Deletes idempotency keys past their retention (48 hours) once an hour.
struct IdempotencyHousekeeping: Service {
    let store: IdempotencyStore
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let purged = try await store.purge()
                if purged > 0 { logger.info("purged expired idempotency keys", metadata: ["count": "\(purged)"]) }
            } catch {
                logger.debug("idempotency housekeeping skipped", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
