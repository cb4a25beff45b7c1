import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
public import ReadModel
import Wire

/// Projects companies into `companies_view` (one row per company, as the
/// company queries show it), with `user_count`, the users currently in each.
///
/// user.company_changed names only the company a user moves to, so this
/// projection keeps its own `companies_memberships` (user → company, NULL
/// for none) and reads the company left from it. A round's moves are summed
/// per company first (one left, one joined: −1 and +1), so two users
/// crossing between the same companies in one round, or several joining
/// one, make one commuting delta per company (see `ProjectionBatch`).
///
/// Company events are handled first in a round; and a company's creation
/// counts the users already recorded in it: none with our write side (a user
/// can only join a company that exists, and the log is applied in order),
/// but the count stays exact in any order.
///
/// `version` and `updated_at` are the company stream's own: users moving in
/// or out change `user_count` but not them, so `version` stays what an
/// `If-Match` on the company needs.
///
/// `companies_totals` keeps the counts of the company list's totals and of
/// the dashboard: companies, active ones, users, users in none.
/// Statements are set-based.
public struct CompaniesProjection: DeclarativeProjection {
    public static let name = "companies"
    public static let tableNames = ["companies_view", "companies_memberships", "companies_totals"]

    public let schema: String
    let view: String
    let memberships: String
    let totals: String

    public init(schema: String = "public") {
        self.schema = schema
        view = ReadModelSchema.qualified("companies_view", in: schema)
        memberships = ReadModelSchema.qualified("companies_memberships", in: schema)
        totals = ReadModelSchema.qualified("companies_totals", in: schema)
    }

    public var name: String { Self.name }
    public var tables: [String] { Self.tableNames }

    public var handlers: [ProjectionHandler] {
        [
            ProjectionHandler("company.created", codec: Company.codec, row: { event, recorded in
                guard case let .created(name, _) = event else { return nil }
                return Self.companyRow(event, recorded).merging(["name": .string(name.value)]) { $1 }
            }, write: created),
            ProjectionHandler("company.activated", "company.deactivated", codec: Company.codec, row: { event, recorded in
                let active: Bool
                switch event {
                case .activated: active = true
                case .deactivated: active = false
                case .created, .renamed: return nil
                }
                return Self.companyRow(event, recorded).merging(["active": .bool(active)]) { $1 }
            }, write: activeChanged),
            ProjectionHandler("company.renamed", codec: Company.codec, row: { event, recorded in
                guard case let .renamed(name, _) = event else { return nil }
                return Self.companyRow(event, recorded).merging(["name": .string(name.value)]) { $1 }
            }, write: renamed),
            ProjectionHandler("user.created", "user.company_changed", codec: User.codec, row: { event, recorded in
                let company: CompanyID?
                switch event {
                case let .created(_, _, joined, _), let .companyChanged(joined, _): company = joined
                case .renamed: return nil
                }
                return ["user_id": .id(recorded.stream.id), "company_id": .company(company),
                        "created": .bool(event.isCreation)]
            }, write: membershipChanged),
        ]
    }

    /// What every company event sets: `{company_id, at, version}`.
    private static func companyRow(_ event: Company.Event, _ recorded: RecordedEvent) -> [String: JSONValue] {
        ["company_id": .id(recorded.stream.id), "at": .time(event.at), "version": .int(recorded.streamVersion)]
    }

    /// A CTE's statement adding one row of deltas to `companies_totals`:
    /// `deltas` selects `true` and the changes of companies, active
    /// companies, users and users in no company, in that order.
    private func addingToTotals(_ deltas: String) -> String {
        """
        INSERT INTO \(totals) AS t (singleton, companies, active_companies, users, users_without_company)
            \(deltas)
            ON CONFLICT (singleton) DO UPDATE
            SET companies = t.companies + excluded.companies,
                active_companies = t.active_companies + excluded.active_companies,
                users = t.users + excluded.users,
                users_without_company = t.users_without_company + excluded.users_without_company
        """
    }

    private func created(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(company_id uuid, name text, at timestamptz, version int)
        ), counted AS (
            \(unsafeRaw: addingToTotals("SELECT true, count(*), 0, 0, 0 FROM e"))
        )
        INSERT INTO \(unsafeRaw: view) (company_id, name, active, user_count, created_at, updated_at, version)
        SELECT e.company_id, e.name, false, count(m.user_id), e.at, e.at, e.version
        FROM e LEFT JOIN \(unsafeRaw: memberships) AS m ON m.company_id = e.company_id
        GROUP BY e.company_id, e.name, e.at, e.version
        """
    }

    /// Sets each company's state and moves it between the totals' active and
    /// inactive companies (the state before is read in the same statement).
    private func activeChanged(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(company_id uuid, active boolean, at timestamptz,
                                                                  version int)
        ), flipped AS (
            SELECT e.active FROM \(unsafeRaw: view) AS v JOIN e ON v.company_id = e.company_id WHERE v.active <> e.active
        ), counted AS (
            \(unsafeRaw: addingToTotals("""
                SELECT true, 0, count(*) FILTER (WHERE active) - count(*) FILTER (WHERE NOT active), 0, 0 FROM flipped
                """))
        )
        UPDATE \(unsafeRaw: view) AS v SET active = e.active, updated_at = e.at, version = e.version
        FROM e WHERE v.company_id = e.company_id
        """
    }

    private func renamed(_ rows: String) -> SQL {
        """
        UPDATE \(unsafeRaw: view) AS v SET name = e.name, updated_at = e.at, version = e.version
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(company_id uuid, name text, at timestamptz, version int)
        WHERE v.company_id = e.company_id
        """
    }

    /// A user's creation or move: records the company the user is in from
    /// now on, and counts the user out of the company left (the membership
    /// before, NULL for a new user or one in none) and into the one joined,
    /// summed per company. A move of a user this projection has not seen
    /// (the log is applied in order: none) or one that changes nothing (no
    /// event does) counts nothing.
    private func membershipChanged(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(user_id uuid, company_id uuid, created boolean)
        ), moved AS (
            SELECT e.user_id, e.created, m.company_id AS left_company, e.company_id AS joined_company
            FROM e LEFT JOIN \(unsafeRaw: memberships) AS m ON m.user_id = e.user_id
            WHERE e.created OR (m.user_id IS NOT NULL AND m.company_id IS DISTINCT FROM e.company_id)
        ), recorded AS (
            INSERT INTO \(unsafeRaw: memberships) AS m (user_id, company_id)
            SELECT user_id, joined_company FROM moved
            ON CONFLICT (user_id) DO UPDATE SET company_id = excluded.company_id
        ), counted AS (
            \(unsafeRaw: addingToTotals("""
                SELECT true, 0, 0, count(*) FILTER (WHERE created),
                       count(*) FILTER (WHERE joined_company IS NULL)
                       - count(*) FILTER (WHERE left_company IS NULL AND NOT created)
                FROM moved
                """))
        )
        UPDATE \(unsafeRaw: view) AS v SET user_count = v.user_count + d.delta
        FROM (
            SELECT company_id, sum(delta) AS delta
            FROM (SELECT left_company AS company_id, -1 AS delta FROM moved
                  UNION ALL
                  SELECT joined_company, 1 FROM moved) AS m
            WHERE company_id IS NOT NULL
            GROUP BY company_id
            HAVING sum(delta) <> 0
        ) AS d
        WHERE v.company_id = d.company_id
        """
    }
}

extension User.Event {
    var isCreation: Bool {
        if case .created = self { true } else { false }
    }
}
