import Accounts
import AccountsDomain
import EventSourcing
import Foundation
import TestSupport
import Wire

/// A reproducible random history: commands chosen at random, decided by the
/// real deciders (rejections are skipped), and only with companies that
/// exist, as the write side checks; so every event is one the write side
/// could append. Alongside it keeps what the views should show, computed in
/// Swift from the deciders' states: the oracle.
struct Simulation {
    var log = EventLog()
    private var companyStreams = Streams<Company, CompanyID>()
    private var userStreams = Streams<User, UserID>()
    private(set) var companyOrder: [CompanyID] = []
    private(set) var userOrder: [UserID] = []
    var companies: [CompanyID: Company.State] { companyStreams.states }
    var users: [UserID: User.State] { userStreams.states }
    private var clock = Timestamp.parse("2026-11-01T00:00:00.000Z")!
    private var rng: SplitMix64

    /// Few names, so that equal names (ordered by id) are common.
    static let names = ["Acme", "acme", "Globex", "Ünïcode", "Initech", "Acme"]

    static func run(seed: UInt64, steps: Int) -> Simulation {
        var simulation = Simulation(rng: SplitMix64(state: seed))
        for _ in 0..<steps { simulation.step() }
        return simulation
    }

    private init(rng: SplitMix64) { self.rng = rng }

    private mutating func randomName() -> AccountName {
        name(Self.names.randomElement(using: &rng)! + " \(Int.random(in: 0..<4, using: &rng))")
    }

    /// An existing company, or none (one time in four).
    private mutating func someCompany() -> CompanyID? {
        Int.random(in: 0..<4, using: &rng) == 0 ? nil : companyOrder.randomElement(using: &rng)
    }

    private mutating func step() {
        // Up to an hour later, in whole milliseconds.
        clock = clock.addingTimeInterval(Double(Int.random(in: 0...3_600_000, using: &rng)) / 1000)
        let roll = Int.random(in: 0..<100, using: &rng)
        if companies.isEmpty || roll < 8 {
            let id = CompanyID(UUID.random(using: &rng))
            companyOrder.append(id)
            run(.create(name: randomName(), at: clock), on: id)
        } else if roll < 14 {
            run(.rename(name: randomName(), at: clock), on: companyOrder.randomElement(using: &rng)!)
        } else if roll < 24 {
            let command: Company.Command = Bool.random(using: &rng) ? .activate(at: clock) : .deactivate(at: clock)
            run(command, on: companyOrder.randomElement(using: &rng)!)
        } else if users.isEmpty || roll < 44 {
            let id = UserID(UUID.random(using: &rng))
            userOrder.append(id)
            run(.create(name: randomName(), email: Email("u\(userOrder.count)@example.org")!, company: someCompany(),
                        at: clock), on: id)
        } else if roll < 54 {
            run(.rename(name: randomName(), at: clock), on: userOrder.randomElement(using: &rng)!)
        } else {
            run(.moveToCompany(someCompany(), at: clock), on: userOrder.randomElement(using: &rng)!)
        }
    }

    private mutating func run(_ command: Company.Command, on id: CompanyID) {
        for event in companyStreams.run(command, on: id) { log.append(event, to: id) }
    }

    private mutating func run(_ command: User.Command, on id: UserID) {
        for event in userStreams.run(command, on: id) { log.append(event, to: id) }
    }

    // MARK: What the views should show

    func expectedUser(_ id: UserID) -> UserView {
        let state = users[id]!
        return UserView(userID: id, name: state.name!.value, email: state.email!.value, companyID: state.company,
                        companyName: state.company.map { companies[$0]!.name!.value },
                        createdAt: state.createdAt!, updatedAt: state.updatedAt!, version: userStreams.versions[id]!)
    }

    func expectedCompany(_ id: CompanyID) -> CompanyView {
        let state = companies[id]!
        return CompanyView(companyID: id, name: state.name!.value, active: state.active,
                           userCount: users.values.filter { $0.company == id }.count,
                           createdAt: state.createdAt!, updatedAt: state.updatedAt!, version: companyStreams.versions[id]!)
    }

    /// By name in code point order, then id (uuids compare like their lower-case text).
    var expectedUsers: [UserView] {
        users.keys.map(expectedUser).sorted { byName(($0.name, $0.userID.description), ($1.name, $1.userID.description)) }
    }

    var expectedCompanies: [CompanyView] {
        companies.keys.map(expectedCompany).sorted {
            byName(($0.name, $0.companyID.description), ($1.name, $1.companyID.description))
        }
    }

    var expectedDashboard: CompanyDashboard {
        let entries = expectedCompanies.sorted { a, b in
            a.userCount != b.userCount ? a.userCount > b.userCount
                : byName((a.name, a.companyID.description), (b.name, b.companyID.description))
        }
        return CompanyDashboard(
            companies: entries.map { .init(companyID: $0.companyID, name: $0.name, active: $0.active, userCount: $0.userCount) },
            totals: .init(companies: companies.count, activeCompanies: companies.values.filter(\.active).count,
                          users: users.count, usersWithoutCompany: users.values.filter { $0.company == nil }.count))
    }
}

/// The streams of one decider, as the write side would keep them: each
/// command decided on the stream's state, its events folded in.
struct Streams<D: Decider, ID: Hashable> {
    private(set) var states: [ID: D.State] = [:]
    private(set) var versions: [ID: Int] = [:]

    /// The events `command` gives on `id`, now part of its state; none when
    /// the decider refuses it.
    mutating func run(_ command: D.Command, on id: ID) -> [D.Event] {
        guard let events = try? D.decide(command, states[id] ?? D.initialState) else { return [] }
        for event in events { states[id] = D.evolve(states[id] ?? D.initialState, event) }
        versions[id, default: 0] += events.count
        return events
    }
}

/// Name in code point order, then id.
func byName(_ a: (name: String, id: String), _ b: (name: String, id: String)) -> Bool {
    let (x, y) = (a.name.unicodeScalars.map(\.value), b.name.unicodeScalars.map(\.value))
    return x != y ? x.lexicographicallyPrecedes(y) : a.id < b.id
}
