import NIOCore
import Synchronization

/// The HTTP connections a process holds open, with the cap on them: a
/// connection over `limit` takes the place of the one that has waited
/// longest without a request in progress (idle, or still sending its head),
/// which is closed; when every connection is busy with a request, the new
/// one is answered 503 (up to `refusalAllowance` at once) or closed at once.
/// So descriptors never run out, and a flood of idle or slow connections
/// cannot keep a new request (a health probe, say) from being served.
public final class OpenConnections: Sendable {
    public let limit: Int
    public let refusalAllowance: Int
    private let state = Mutex(State())
    private let metrics: ConnectionMetrics?

    enum Admission: Sendable, Equatable {
        case serve, refuse, drop
    }

    public init(limit: Int, refusalAllowance: Int, metrics: ConnectionMetrics? = nil) {
        self.limit = limit
        self.refusalAllowance = refusalAllowance
        self.metrics = metrics
    }

    public convenience init(_ limits: HTTPConnectionLimits, metrics: ConnectionMetrics? = nil) {
        self.init(limit: limits.maxConnections, refusalAllowance: limits.refusalAllowance, metrics: metrics)
    }

    /// Connections being served (not counting those being refused).
    public var served: Int { state.withLock { $0.served } }

    /// Decides what becomes of a newly accepted connection.
    func admit(_ slot: ConnectionSlot) -> Admission {
        let (admission, evicted): (Admission, ConnectionSlot?) = state.withLock { state in
            if state.served < limit {
                state.served += 1
                slot.role = .served
                return (.serve, nil)
            }
            if let oldest = state.waiting.removeOldest() {
                // The evicted connection's place passes to the new one.
                oldest.role = .evicted
                slot.role = .served
                return (.serve, oldest)
            }
            if state.refusing < refusalAllowance {
                state.refusing += 1
                slot.role = .refused
                return (.refuse, nil)
            }
            return (.drop, nil)
        }
        if let evicted {
            evicted.channel.close(promise: nil)
            metrics?.closed(.evicted)
        }
        switch admission {
        case .serve: if evicted == nil { metrics?.opened() }
        case .refuse: metrics?.closed(.refused)
        case .drop: metrics?.closed(.dropped)
        }
        return admission
    }

    /// The connection has no request in progress: it may be evicted.
    func waiting(_ slot: ConnectionSlot) {
        state.withLock { state in
            if slot.role == .served, !slot.isWaiting { state.waiting.append(slot) }
        }
    }

    /// The connection is handling a request: it is not evicted.
    func busy(_ slot: ConnectionSlot) {
        state.withLock { state in
            if slot.isWaiting { state.waiting.remove(slot) }
        }
    }

    /// The connection has closed.
    func release(_ slot: ConnectionSlot) {
        let wasServed: Bool = state.withLock { state in
            if slot.isWaiting { state.waiting.remove(slot) }
            defer { slot.role = .gone }
            switch slot.role {
            case .served:
                state.served -= 1
                return true
            case .refused:
                state.refusing -= 1
            case .evicted, .gone, .new:
                break
            }
            return false
        }
        if wasServed { metrics?.released() }
    }

    private struct State: ~Copyable {
        var served = 0
        var refusing = 0
        var waiting = WaitingList()
    }
}

/// One connection's entry in `OpenConnections`. Its fields change only
/// under the registry's lock.
final class ConnectionSlot: @unchecked Sendable {
    enum Role { case new, served, refused, evicted, gone }

    let channel: any Channel
    fileprivate(set) var role = Role.new
    fileprivate var older: ConnectionSlot?
    fileprivate var newer: ConnectionSlot?
    fileprivate var isWaiting = false

    init(channel: any Channel) {
        self.channel = channel
    }
}

/// Connections without a request in progress, oldest first: a doubly linked
/// list through the slots, so every operation is O(1).
private struct WaitingList: ~Copyable {
    var oldest: ConnectionSlot?
    var newest: ConnectionSlot?

    mutating func append(_ slot: ConnectionSlot) {
        slot.isWaiting = true
        slot.older = newest
        slot.newer = nil
        newest?.newer = slot
        newest = slot
        if oldest == nil { oldest = slot }
    }

    mutating func remove(_ slot: ConnectionSlot) {
        slot.older?.newer = slot.newer
        slot.newer?.older = slot.older
        if oldest === slot { oldest = slot.newer }
        if newest === slot { newest = slot.older }
        slot.older = nil
        slot.newer = nil
        slot.isWaiting = false
    }

    mutating func removeOldest() -> ConnectionSlot? {
        guard let slot = oldest else { return nil }
        remove(slot)
        return slot
    }
}
