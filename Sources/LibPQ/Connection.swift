import CLibPQ
import Foundation
import Synchronization

/// One PostgreSQL connection. It owns the `PGconn`, in libpq's non-blocking
/// mode: a call sends, then suspends on `SocketReactor` until the answer can
/// be read, so callers `await` and never block a thread. The pool lends a
/// connection to one task at a time, which is why `@unchecked Sendable` is
/// sound here: `handle` and `prepared` are touched only by that task, one
/// call after another (libpq allows that from any thread).
public final class Connection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var prepared: [String: String] = [:]
    /// Set when libpq reports the connection bad; read by the pool.
    private let broken = Atomic(false)
    /// Set by the pool when it lends an idle connection: the next call first
    /// checks that the server has not closed it meanwhile (a restart).
    private let verifyBeforeNextUse = Atomic(false)

    /// Statements `withLeadingStatement` sends ahead of the next query, in
    /// order, and what became of the ones sent. Touched only by the task the
    /// connection is lent to.
    private let leading = Mutex(LeadingStatements())

    private struct LeadingStatements {
        /// `tracked`: someone waits for the outcome (`withLeadingStatement`).
        var pending: [(id: Int, statement: SQL, tracked: Bool)] = []
        var outcomes: [Int: Result<QueryResult, PostgresError>] = [:]
        var nextID = 0
    }

    /// Statements are prepared once per connection and reused (the plan cache
    /// keeps them valid across DDL). Beyond this many distinct texts, further
    /// statements run unprepared, so generated SQL cannot grow memory forever.
    static let preparedStatementLimit = 512

    /// The reactor that waits on this connection's socket, and on which the
    /// pool may run lent code (`executor`).
    private let lane: SocketReactor
    /// The lane is this connection's alone, and ends with it.
    private let ownsLane: Bool

    private init(lane: SocketReactor, ownsLane: Bool) {
        self.lane = lane
        self.ownsLane = ownsLane
    }

    deinit {
        Self.finish(handle, on: lane)
        if ownsLane { lane.retire() }
    }

    /// The connection's lane as an executor: lent code that runs there
    /// continues after each answer without a thread hand-off.
    public var executor: any TaskExecutor { lane }

    /// Opens a connection from a libpq URI (`postgresql://…`) or key=value
    /// string; parameters it leaves out come from the `PG*` environment
    /// variables, as in psql. The session runs in UTC with ISO dates.
    /// `connect_timeout` is honoured as libpq's blocking connect does.
    ///
    /// - Parameter ownLane: give the connection a lane (thread) of its own
    ///   instead of sharing the process's few: for connections lent to code
    ///   that makes many round trips and much CPU work per loan (the
    ///   projector's batches), which would otherwise queue behind each other.
    public static func connect(_ conninfo: String, ownLane: Bool = false) async throws -> Connection {
        let connection = ownLane ? Connection(lane: .dedicated(), ownsLane: true)
                                 : Connection(lane: SocketReactor.assign(), ownsLane: false)
        connection.handle = try await establish(conninfo, on: connection.lane)
        _ = try await connection.execSimple("SET TIME ZONE 'UTC'; SET DateStyle TO ISO")
        return connection
    }

    /// libpq's non-blocking connect: `PQconnectPoll` until it is done, waiting
    /// for the socket it names in between (it may change between steps).
    private static func establish(_ conninfo: String, on lane: SocketReactor) async throws -> OpaquePointer {
        guard let conn = PQconnectStart(conninfo) else {
            throw PostgresError(kind: .connection, message: "out of memory creating a connection")
        }
        var lastSocket: Int32 = -1
        func fail(_ error: PostgresError) -> PostgresError {
            if lastSocket >= 0 { lane.forget(lastSocket) }
            PQfinish(conn)
            return error
        }
        let deadline = connectTimeout(conn).map { ContinuousClock.now + $0 }
        var step = PGRES_POLLING_WRITING
        while PQstatus(conn) != CONNECTION_BAD {
            switch step {
            case PGRES_POLLING_OK:
                // The socket stays registered with the lane: the connection keeps it.
                // libpq prints notices to stderr by default; they are not errors.
                PQsetNoticeProcessor(conn, { _, _ in }, nil)
                guard PQsetnonblocking(conn, 1) == 0 else { throw fail(PostgresError.connectionFailure(conn)) }
                return conn
            case PGRES_POLLING_FAILED:
                throw fail(PostgresError.connectionFailure(conn))
            default:
                let socket = PQsocket(conn)
                if socket != lastSocket, lastSocket >= 0 { lane.forget(lastSocket) }
                lastSocket = socket
                let interest: SocketReactor.Interest = step == PGRES_POLLING_READING ? .read : .write
                guard await lane.wait(for: interest, on: socket, until: deadline) else {
                    throw fail(PostgresError(kind: .connection, message: "timeout expired connecting to the server"))
                }
            }
            step = PQconnectPoll(conn)
        }
        throw fail(PostgresError.connectionFailure(conn))
    }

    /// The connection's `connect_timeout` (seconds; as in libpq, below 2 counts as 2, 0 as none).
    private static func connectTimeout(_ conn: OpaquePointer) -> Duration? {
        guard let options = PQconninfo(conn) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "connect_timeout", let value = option.pointee.val,
               let seconds = Int(String(cString: value).trimmingCharacters(in: .whitespaces)), seconds > 0 {
                return .seconds(max(2, seconds))
            }
            option += 1
        }
        return nil
    }

    private static func finish(_ handle: OpaquePointer?, on lane: SocketReactor) {
        guard let handle else { return }
        let socket = PQsocket(handle)
        if socket >= 0 { lane.forget(socket) }
        PQfinish(handle)
    }

    /// Closes the connection; later calls fail with a connection error.
    public func close() async {
        Self.finish(handle, on: lane)
        handle = nil
        prepared = [:]
    }

    // MARK: Queries

    /// Runs one statement with its bound parameters and returns its rows.
    @discardableResult
    public func query(_ sql: SQL) async throws -> QueryResult {
        if leading.withLock({ !$0.pending.isEmpty }) { return try await pipeline([sql])[0].get() }
        try validate(sql)
        return try await execute(sql)
    }

    /// Sends `statement` ahead of the next query or pipeline, in the same
    /// round trip; its error, if any, is thrown there. For a `BEGIN` whose
    /// transaction's first statement is not known here.
    public func sendAhead(_ statement: SQL) throws {
        _ = try enqueueAhead(statement, tracked: false)
    }

    /// Queues `statement` for the next query or pipeline; returns its id.
    private func enqueueAhead(_ statement: SQL, tracked: Bool) throws -> Int {
        try validate(statement)
        return leading.withLock { state in
            defer { state.nextID += 1 }
            state.pending.append((state.nextID, statement, tracked))
            return state.nextID
        }
    }

    /// Runs `body` with `statement` sent ahead of its first query or
    /// pipeline, in the same round trip (`statement` runs first), and returns
    /// both answers. Saves a round trip where a request needs a small check
    /// or a `BEGIN` next to its real work, without the code that does the
    /// work knowing about it. If `body` sends nothing, `statement` runs alone
    /// afterwards. An error of `statement` is thrown.
    public func withLeadingStatement<T>(
        _ statement: SQL, _ body: (Connection) async throws -> T
    ) async throws -> (value: T, leading: QueryResult) {
        let id = try enqueueAhead(statement, tracked: true)
        defer {
            leading.withLock { state in
                state.pending.removeAll { $0.id == id }
                state.outcomes[id] = nil
            }
        }
        let value = try await body(self)
        if let outcome = leading.withLock({ $0.outcomes[id] }) { return (value, try outcome.get()) }
        leading.withLock { $0.pending.removeAll { $0.id == id } }
        return (value, try await query(statement))
    }

    /// Runs statements without parameters, possibly several separated by `;`
    /// (migrations, DDL). Never pass values in this text.
    public func execute(unsafeScript script: String) async throws {
        // A script cannot join a pipeline: what waits to go ahead goes first.
        if leading.withLock({ !$0.pending.isEmpty }) { _ = try await pipeline([]) }
        _ = try await execSimple(script)
    }

    /// Runs `body` inside BEGIN … COMMIT; any error rolls everything back and
    /// is rethrown.
    public func withTransaction<T>(
        isolation: IsolationLevel = .readCommitted,
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        // BEGIN travels with the body's first statement: one round trip less.
        let value: T
        do {
            value = try await withLeadingStatement(SQL(unsafeRaw: "BEGIN ISOLATION LEVEL \(isolation.rawValue)")) {
                try await body($0)
            }.value
        } catch {
            try? await rollback()
            throw error
        }
        try await query("COMMIT")
        return value
    }

    /// Ends the transaction, if any, after a failure. Statements still
    /// waiting to go ahead are dropped, never sent: sent in front of the
    /// ROLLBACK, one that fails (a `BEGIN`'s companion check, say) would
    /// make the server skip the ROLLBACK too, and the session would go back
    /// to the pool inside an aborted transaction.
    public func rollback() async throws {
        leading.withLock { $0.pending.removeAll() }
        try await query("ROLLBACK")
    }

    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Sends several statements in one round trip (libpq pipeline mode) and
    /// returns one outcome per statement. A failed statement makes the ones
    /// after it fail too, as PostgreSQL aborts the rest of the pipeline.
    public func pipeline(_ statements: [SQL]) async throws -> [Result<QueryResult, PostgresError>] {
        for statement in statements { try validate(statement) }
        let ahead = leading.withLock { state in defer { state.pending = [] }; return state.pending }
        let outcomes = try await runPipeline(ahead.map(\.statement) + statements)
        guard !ahead.isEmpty else { return outcomes }
        leading.withLock { state in
            for (index, sent) in ahead.enumerated() where sent.tracked { state.outcomes[sent.id] = outcomes[index] }
        }
        // The caller's statements did not run if one sent ahead failed: its
        // error is the one to report.
        for outcome in outcomes.prefix(ahead.count) { if case .failure(let error) = outcome { throw error } }
        return Array(outcomes.dropFirst(ahead.count))
    }

    // MARK: Health

    /// True once libpq has seen the connection fail.
    var isBroken: Bool { broken.load(ordering: .relaxed) }

    /// Asks the next call to check the connection before sending anything.
    func verifyBeforeUse() { verifyBeforeNextUse.store(true, ordering: .relaxed) }

    // MARK: Talking to the server (by the task the connection is lent to)

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(kind: .connection, message: "connection is closed") }
        if verifyBeforeNextUse.exchange(false, ordering: .relaxed), !isIdleAndOpen(handle) {
            broken.store(true, ordering: .relaxed)
            throw PostgresError(kind: .staleConnection, message: "the server closed this idle connection")
        }
        return handle
    }

    /// An idle session is sent nothing in normal operation; a readable
    /// socket means an error (the FATAL message of a shutdown), EOF, or a
    /// rare notice. All count as unusable: a spare reconnect is cheaper than
    /// a failed request.
    private func isIdleAndOpen(_ handle: OpaquePointer) -> Bool {
        guard PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) == PQTRANS_IDLE else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    private func noteStatus(_ conn: OpaquePointer) {
        if PQstatus(conn) != CONNECTION_OK { broken.store(true, ordering: .relaxed) }
    }

    private func validate(_ sql: SQL) throws {
        for (index, binding) in sql.bindings.enumerated() where binding.text?.holdsNUL == true {
            throw PostgresError(kind: .invalidParameter,
                                message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold")
        }
    }

    private func execute(_ sql: SQL) async throws -> QueryResult {
        let conn = try liveHandle()
        let name = try await statementName(for: sql, on: conn)
        let sent = try withParameters(sql.bindings) { values -> Int32 in
            if let name { return PQsendQueryPrepared(conn, name, Int32(values.count), values, nil, nil, 0) }
            return PQsendQueryParams(conn, sql.text, Int32(values.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw failure(conn) }
        return try await collect(conn)
    }

    private func statementName(for sql: SQL, on conn: OpaquePointer) async throws -> String? {
        if let name = prepared[sql.text] { return name }
        guard prepared.count < Self.preparedStatementLimit else { return nil }
        let name = "s\(prepared.count + 1)"
        guard PQsendPrepare(conn, name, sql.text, Int32(sql.bindings.count), nil) == 1 else { throw failure(conn) }
        _ = try await collect(conn)
        prepared[sql.text] = name
        return name
    }

    private func execSimple(_ script: String) async throws -> QueryResult {
        let conn = try liveHandle()
        guard PQsendQuery(conn, script) == 1 else { throw failure(conn) }
        return try await collect(conn)
    }

    /// The answer to the command just sent, as `PQexec` gives it: the first
    /// failure, else the last result (a script has one per statement).
    private func collect(_ conn: OpaquePointer) async throws -> QueryResult {
        try await flush(conn)
        var outcome: Result<QueryResult, PostgresError>?
        while let result = try await nextResult(conn) {
            switch outcome {
            case .failure: PQclear(result)
            default: outcome = Result { try checked(result, conn) }.mapError { $0 as? PostgresError ?? failure(conn) }
            }
        }
        guard let outcome else { throw failure(conn) }
        return try outcome.get()
    }

    /// Sends what libpq still buffers; while the socket cannot take more,
    /// reads what the server sends meanwhile, so neither side waits on the other.
    private func flush(_ conn: OpaquePointer) async throws {
        while true {
            switch PQflush(conn) {
            case 0: return
            case 1:
                _ = await lane.wait(for: .readOrWrite, on: PQsocket(conn))
                guard PQconsumeInput(conn) == 1 else { throw failure(conn) }
            default: throw failure(conn)
            }
        }
    }

    /// The next result, waiting for the socket while libpq lacks the bytes;
    /// nil where `PQgetResult` returns NULL (the end of a command's results).
    private func nextResult(_ conn: OpaquePointer) async throws -> OpaquePointer? {
        while PQisBusy(conn) == 1 {
            _ = await lane.wait(for: .read, on: PQsocket(conn))
            guard PQconsumeInput(conn) == 1 else { throw failure(conn) }
        }
        return PQgetResult(conn)
    }

    /// The connection's error, noting that it is broken when libpq says so.
    private func failure(_ conn: OpaquePointer) -> PostgresError {
        noteStatus(conn)
        return PostgresError.connectionFailure(conn)
    }

    private func runPipeline(_ statements: [SQL]) async throws -> [Result<QueryResult, PostgresError>] {
        let conn = try liveHandle()
        guard PQenterPipelineMode(conn) == 1 else { throw PostgresError.connectionFailure(conn) }
        defer {
            PQexitPipelineMode(conn)
            noteStatus(conn)
        }
        // Statements are prepared as in `execute`, the Parse travelling in
        // the same round trip as its first execution: a pipeline is the hot
        // path of every append, and re-planning its statements each time
        // would cost the server more than the whole rest of the append.
        var preparedHere: [String: String] = [:]
        var preparesAt: [Int: (text: String, name: String)] = [:]
        for (index, statement) in statements.enumerated() {
            var name = prepared[statement.text] ?? preparedHere[statement.text]
            if name == nil, prepared.count + preparedHere.count < Self.preparedStatementLimit {
                let fresh = "s\(prepared.count + preparedHere.count + 1)"
                guard PQsendPrepare(conn, fresh, statement.text, Int32(statement.bindings.count), nil) == 1 else {
                    throw PostgresError.connectionFailure(conn)
                }
                preparedHere[statement.text] = fresh
                preparesAt[index] = (statement.text, fresh)
                name = fresh
            }
            let sent = try withParameters(statement.bindings) { values in
                if let name {
                    return PQsendQueryPrepared(conn, name, Int32(values.count), values, nil, nil, 0)
                }
                return PQsendQueryParams(conn, statement.text, Int32(values.count), nil, values, nil, nil, 0)
            }
            guard sent == 1 else { throw PostgresError.connectionFailure(conn) }
        }
        guard PQpipelineSync(conn) == 1 else { throw PostgresError.connectionFailure(conn) }
        try await flush(conn)
        var outcomes: [Result<QueryResult, PostgresError>] = []
        while outcomes.count < statements.count {
            var prepareFailure: PostgresError?
            if let prepare = preparesAt[outcomes.count] {
                switch try await nextPipelineOutcome(conn) {
                case .success: prepared[prepare.text] = prepare.name
                case .failure(let error): prepareFailure = error
                }
            }
            let outcome = try await nextPipelineOutcome(conn)
            // A failed Parse aborts its own execution; its error is the real one.
            outcomes.append(prepareFailure.map { .failure($0) } ?? outcome)
        }
        // Consume the sync point.
        while let result = try await nextResult(conn) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        if PQstatus(conn) != CONNECTION_OK { throw PostgresError.connectionFailure(conn) }
        return outcomes
    }

    /// The next result of a pipeline and the NULL that ends it.
    private func nextPipelineOutcome(_ conn: OpaquePointer) async throws -> Result<QueryResult, PostgresError> {
        guard let result = try await nextResult(conn) else { return .failure(PostgresError.connectionFailure(conn)) }
        let outcome: Result<QueryResult, PostgresError>
        if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
            PQclear(result)
            outcome = .failure(PostgresError(kind: .server, message: "not run: an earlier statement in the pipeline failed"))
        } else {
            outcome = Result { try checked(result, conn) }.mapError { $0 as? PostgresError ?? PostgresError.connectionFailure(conn) }
        }
        while let extra = try await nextResult(conn) { PQclear(extra) }
        return outcome
    }

    private func checked(_ result: OpaquePointer?, _ conn: OpaquePointer) throws -> QueryResult {
        noteStatus(conn)
        guard let result else { throw PostgresError.connectionFailure(conn) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return QueryResult(ResultHandle(result))
        default:
            let error = PostgresError.fromResult(result, connection: conn)
            PQclear(result)
            throw error
        }
    }

    private func withParameters<T>(_ bindings: [PostgresBinding],
                                   _ body: ([UnsafePointer<CChar>?]) throws -> T) throws -> T {
        let copies: [UnsafeMutablePointer<CChar>?] = bindings.map { $0.text.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        return try body(copies.map { $0.map { UnsafePointer($0) } })
    }

    // MARK: LISTEN support (used by `Listener` on its own connection)

    /// Waits up to `timeout` for notifications on this connection's socket.
    func awaitNotifications(timeout: Duration) async throws -> [PostgresNotification] {
        let conn = try liveHandle()
        var found = drainNotifications(conn)
        if !found.isEmpty { return found }
        if await lane.wait(for: .read, on: PQsocket(conn), until: .now + timeout) {
            guard PQconsumeInput(conn) == 1 else { throw failure(conn) }
            found = drainNotifications(conn)
        }
        if PQstatus(conn) != CONNECTION_OK { throw failure(conn) }
        return found
    }

    private func drainNotifications(_ conn: OpaquePointer) -> [PostgresNotification] {
        var found: [PostgresNotification] = []
        while let notify = PQnotifies(conn) {
            let event = notify.pointee
            found.append(PostgresNotification(channel: String(cString: event.relname),
                                              payload: String(cString: event.extra),
                                              senderPID: Int(event.be_pid)))
            PQfreemem(notify)
        }
        return found
    }
}

/// A NOTIFY received on a LISTEN connection.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var senderPID: Int
}

extension String {
    /// Whether the text holds a NUL byte, read from its contiguous UTF-8
    /// (the generic `utf8.contains` walks an iterator, per parameter of
    /// every statement).
    var holdsNUL: Bool {
        var text = self
        return text.withUTF8 { $0.contains(0) }
    }
}
