import LibPQ
import TestSupport
import Testing

@Suite("LISTEN/NOTIFY as an AsyncSequence")
struct ListenNotifyTests {
    @Test func committedNotificationArrivesRolledBackDoesNot() async throws {
        try await TestDatabase.withEmpty { database in
            var events = Listener(conninfo: database.conninfo, channels: ["chronicle_test"]).makeAsyncIterator()
            #expect(await events.next() == .reconnected)

            let sender = try await database.connect()
            await #expect(throws: CancellationError.self) {
                try await sender.withTransaction { tx in
                    try await tx.query("SELECT pg_notify('chronicle_test', \("rolled back"))")
                    throw CancellationError()
                }
            }
            try await sender.withTransaction { tx in
                try await tx.query("SELECT pg_notify('chronicle_test', \("committed"))")
            }
            let next = await events.next()
            guard case .notification(let notification) = next else {
                Issue.record("expected a notification, got \(String(describing: next))")
                return
            }
            #expect(notification.channel == "chronicle_test")
            #expect(notification.payload == "committed")
            await sender.close()
        }
    }
}
