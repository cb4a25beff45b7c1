import CLibPQ
import Foundation
import Synchronization

/// One thread that waits, with `epoll`, for the sockets of every connection
/// in the process and resumes the task that waits on each. libpq runs in
/// non-blocking mode: the task that holds a connection sends, then suspends
/// here until the answer can be read, and continues on its own executor (in
/// the services, the HTTP event loops). No thread is parked per connection,
/// and no job is handed to another thread and back per query: measured, that
/// hand-off was the largest single cost of a request (see `LibPQ`).
final class SocketReactor: @unchecked Sendable {
    static let shared = SocketReactor()

    enum Interest {
        case read
        /// Readable or writable: what a pending `PQflush` or `PQconnectPoll` waits for.
        case readOrWrite
        case write

        var events: UInt32 {
            switch self {
            case .read: EPOLLIN.rawValue
            case .write: EPOLLOUT.rawValue
            case .readOrWrite: EPOLLIN.rawValue | EPOLLOUT.rawValue
            }
        }
    }

    private struct Waiter {
        var continuation: CheckedContinuation<Bool, Never>
        var deadline: ContinuousClock.Instant?
    }

    private let epoll: Int32
    /// Written to wake the thread when a nearer deadline arrives.
    private let wakeup: Int32
    /// At most one waiter per socket: a connection is used by one task at a time.
    private let waiters = Mutex<[Int32: Waiter]>([:])
    /// The deadline the thread sleeps towards, to know when a new one must wake it.
    private let sleepingUntil = Mutex<ContinuousClock.Instant?>(nil)

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeup = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(epoll >= 0 && wakeup >= 0, "epoll or eventfd unavailable: \(errno)")
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeup))
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event) == 0)
        let thread = Thread { [self] in run() }
        thread.name = "libpq-reactor"
        thread.start()
    }

    /// Suspends until `socket` is ready for `interest` (or failed: the
    /// caller's next libpq call says how); false when `deadline` passed
    /// first. A wake-up may be early: callers check with libpq and wait again.
    func wait(for interest: Interest, on socket: Int32,
              until deadline: ContinuousClock.Instant? = nil) async -> Bool {
        await withCheckedContinuation { continuation in
            // Registered before arming, so the event cannot come first.
            waiters.withLock { $0[socket] = Waiter(continuation: continuation, deadline: deadline) }
            var event = epoll_event(events: interest.events | EPOLLONESHOT.rawValue | EPOLLRDHUP.rawValue,
                                    data: epoll_data_t(fd: socket))
            // Re-arming a known socket is one call; a new one is added.
            if epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event) != 0
                && (errno != ENOENT || epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event) != 0) {
                // A closed socket, say: the caller's next libpq call reports it.
                resume(socket, ready: true)
                return
            }
            if let deadline { wakeIfSooner(deadline) }
        }
    }

    /// Forgets `socket` before it is closed, so a later socket with the same
    /// number starts afresh.
    func forget(_ socket: Int32) {
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil)
    }

    private func resume(_ socket: Int32, ready: Bool) {
        waiters.withLock { $0.removeValue(forKey: socket) }?.continuation.resume(returning: ready)
    }

    private func wakeIfSooner(_ deadline: ContinuousClock.Instant) {
        let sooner = sleepingUntil.withLock { current in current.map { deadline < $0 } ?? true }
        if sooner { _ = eventfd_write(wakeup, 1) }
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let deadline = nearestDeadline()
            sleepingUntil.withLock { $0 = deadline }
            let timeout = deadline.map { Self.milliseconds(until: $0) } ?? -1
            let count = epoll_wait(epoll, &events, Int32(events.count), timeout)
            if count < 0 && errno != EINTR { fatalError("epoll_wait failed: \(errno)") }
            for index in 0..<max(0, Int(count)) {
                let socket = events[index].data.fd
                if socket == wakeup {
                    var value: eventfd_t = 0
                    _ = eventfd_read(wakeup, &value)
                } else {
                    resume(socket, ready: true)
                }
            }
            expireDeadlines()
        }
    }

    private func nearestDeadline() -> ContinuousClock.Instant? {
        waiters.withLock { $0.values.compactMap(\.deadline).min() }
    }

    private func expireDeadlines() {
        let now = ContinuousClock.now
        let expired = waiters.withLock { waiters -> [CheckedContinuation<Bool, Never>] in
            let due = waiters.filter { $0.value.deadline.map { $0 <= now } ?? false }
            for socket in due.keys { waiters[socket] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in expired { continuation.resume(returning: false) }
    }

    /// Rounded up, so a wait never ends just short of its deadline.
    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = ContinuousClock.now.duration(to: deadline)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
