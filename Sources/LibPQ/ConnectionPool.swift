public import Logging
public import ServiceLifecycle
import Synchronization

/// A bounded pool of connections. It opens connections lazily up to
/// `maxConnections`; a task that finds none free waits up to `acquireTimeout`,
/// then fails with a clear `.poolTimeout` error instead of queueing forever.
/// Connections that libpq saw fail are dropped when returned, and an idle
/// connection is checked before it is lent, so after a PostgreSQL restart the
/// next request gets a fresh connection.
///
/// As a `Service` it closes every connection on graceful shutdown.
public final class ConnectionPool: Service, Sendable {
    public struct Configuration: Sendable {
        public var conninfo: String
        public var maxConnections: Int
        public var acquireTimeout: Duration
        /// Each connection gets a lane of its own (`Connection.connect(_:ownLane:)`).
        public var connectionsHaveOwnLanes: Bool

        public init(conninfo: String, maxConnections: Int = 16, acquireTimeout: Duration = .seconds(5),
                    connectionsHaveOwnLanes: Bool = false) {
            self.conninfo = conninfo
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
            self.connectionsHaveOwnLanes = connectionsHaveOwnLanes
        }
    }

    private enum Grant: Sendable {
        case connection(Connection)
        /// A slot was freed (its connection closed); open a new one.
        case slot
    }

    private struct State {
        var idle: [Connection] = []
        var open = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Grant, Error>)] = []
        var nextWaiterID = 0
        var closed = false
    }

    public let configuration: Configuration
    private let state = Mutex(State())
    private let logger: Logger

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "chronicle.pool")) {
        self.configuration = configuration
        self.logger = logger
    }

    public convenience init(conninfo: String, maxConnections: Int = 16, acquireTimeout: Duration = .seconds(5)) {
        self.init(Configuration(conninfo: conninfo, maxConnections: maxConnections, acquireTimeout: acquireTimeout))
    }

    // MARK: Lending

    /// Lends a connection to `body` and takes it back afterwards. If the
    /// connection proves stale before `body` sent anything on it (the server
    /// restarted while it sat idle), `body` runs again on a fresh one.
    public func withConnection<T>(_ body: (Connection) async throws -> T) async throws -> T {
        var attempts = 0
        while true {
            let connection = try await acquire()
            do {
                // On the connection's lane: each answer resumes it on the
                // thread that saw the socket ready (see `SocketReactor`).
                let value = try await withTaskExecutorPreference(connection.executor) { try await body(connection) }
                await release(connection)
                return value
            } catch let error as PostgresError where error.kind == .staleConnection && attempts <= configuration.maxConnections {
                await release(connection)
                attempts += 1
            } catch {
                await release(connection)
                throw error
            }
        }
    }

    public func withTransaction<T>(
        isolation: Connection.IsolationLevel = .readCommitted,
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        try await withConnection { try await $0.withTransaction(isolation: isolation, body) }
    }

    @discardableResult
    public func query(_ sql: SQL) async throws -> QueryResult {
        try await withConnection { try await $0.query(sql) }
    }

    /// Connections currently open (idle or lent).
    public var openConnections: Int { state.withLock { $0.open } }

    private enum Step {
        case check(Connection)
        case open
        case wait(Int)
        case fail(PostgresError)
    }

    func acquire() async throws -> Connection {
        while true {
            let step: Step = state.withLock { state in
                if state.closed { return .fail(PostgresError(kind: .poolClosed, message: "connection pool is closed")) }
                if let connection = state.idle.popLast() { return .check(connection) }
                if state.open < configuration.maxConnections {
                    state.open += 1
                    return .open
                }
                state.nextWaiterID += 1
                return .wait(state.nextWaiterID)
            }
            switch step {
            case .fail(let error):
                throw error
            case .check(let connection):
                connection.verifyBeforeUse()
                return connection
            case .open:
                return try await openConnection()
            case .wait(let id):
                switch try await waitForGrant(id: id) {
                case .connection(let connection):
                    return connection
                case .slot:
                    return try await openConnection()
                }
            }
        }
    }

    private func openConnection() async throws -> Connection {
        do {
            return try await Connection.connect(configuration.conninfo, ownLane: configuration.connectionsHaveOwnLanes)
        } catch {
            freeSlot()
            throw error
        }
    }

    private func waitForGrant(id: Int) async throws -> Grant {
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.failWaiter(id, PostgresError(
                kind: .poolTimeout,
                message: "no database connection became free within \(timeout) (pool size \(self?.configuration.maxConnections ?? 0))"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let accepted = state.withLock { state -> Bool in
                    guard !state.closed else { return false }
                    state.waiters.append((id, continuation))
                    return true
                }
                if !accepted {
                    continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "connection pool is closed"))
                }
            }
        } onCancel: {
            failWaiter(id, CancellationError())
        }
    }

    private func failWaiter(_ id: Int, _ error: Error) {
        let continuation = state.withLock { state -> CheckedContinuation<Grant, Error>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(throwing: error)
    }

    func release(_ connection: Connection) async {
        if connection.isBroken {
            await discard(connection)
            return
        }
        let handedTo = state.withLock { state -> CheckedContinuation<Grant, Error>? in
            if state.closed { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.idle.append(connection)
            return nil
        }
        if let handedTo {
            handedTo.resume(returning: .connection(connection))
        } else if state.withLock({ $0.closed }) {
            await connection.close()
        }
    }

    private func discard(_ connection: Connection) async {
        await connection.close()
        freeSlot()
    }

    /// Gives a closed connection's slot to a waiter, or returns it.
    private func freeSlot() {
        let waiter = state.withLock { state -> CheckedContinuation<Grant, Error>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.open -= 1
            return nil
        }
        waiter?.resume(returning: .slot)
    }

    // MARK: Service

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Closes idle connections and refuses new acquisitions; lent connections
    /// close when returned.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer { state.idle = []; state.waiters = [] }
            return (state.idle, state.waiters)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "connection pool is closed"))
        }
        for connection in idle { await connection.close() }
    }
}
