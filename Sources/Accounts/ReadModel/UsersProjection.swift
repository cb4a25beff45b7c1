import AccountsDomain
import EventSourcing
import Foundation
import LibPQ
public import ReadModel
import Wire

/// Projects users into `users_view` (one row per user, as the user queries
/// show it), with the current name of the user's company denormalized into
/// every user.
///
/// The names come from this projection's own `users_company_names`, fed by
/// company.created and company.renamed: a rename rewrites `company_name` in
/// every user of the company with one statement (through the company index).
/// A user who joins a company (created in it, or moved to it) reads its name
/// from there. A user joining a company this projection has not seen (our
/// write side cannot do that: it checks the company exists, and the log is
/// applied in order) gets a NULL name, filled in when the company arrives.
///
/// `version` and `updated_at` are the user stream's own: a company's rename
/// changes `company_name` but not them, so `version` stays what an
/// `If-Match` on the user needs.
///
/// `users_count` keeps how many users there are, for the total of the
/// unfiltered user list. Statements are set-based; see `ProjectionBatch`.
public struct UsersProjection: DeclarativeProjection {
    public static let name = "users"
    public static let tableNames = ["users_view", "users_company_names", "users_count"]

    public let schema: String
    let view: String
    let names: String
    let count: String

    public init(schema: String = "public") {
        self.schema = schema
        view = ReadModelSchema.qualified("users_view", in: schema)
        names = ReadModelSchema.qualified("users_company_names", in: schema)
        count = ReadModelSchema.qualified("users_count", in: schema)
    }

    public var name: String { Self.name }
    public var tables: [String] { Self.tableNames }

    /// Names first: a user joining a company in the same round as the
    /// company's creation or rename reads the name just written, and a
    /// rename in a later round rewrites it, so the user ends with the
    /// company's last name whatever the rounds (see `ProjectionBatch`).
    /// The other order would converge as well (a rename's fan-out reaches a
    /// user who joined just before it in the round); this one makes the
    /// join right at once rather than mended.
    public var handlers: [ProjectionHandler] {
        [
            ProjectionHandler("company.created", "company.renamed", codec: Company.codec, row: { event, recorded in
                let name: AccountName
                switch event {
                case let .created(named, _), let .renamed(named, _): name = named
                case .activated, .deactivated: return nil
                }
                return ["company_id": .id(recorded.stream.id), "name": .string(name.value)]
            }, write: companyNamed),
            ProjectionHandler("user.created", codec: User.codec, row: { event, recorded in
                guard case let .created(name, email, company, _) = event else { return nil }
                return Self.userRow(event, recorded).merging([
                    "name": .string(name.value), "email": .string(email.value), "company_id": .company(company),
                ]) { $1 }
            }, write: created),
            ProjectionHandler("user.renamed", codec: User.codec, row: { event, recorded in
                guard case let .renamed(name, _) = event else { return nil }
                return Self.userRow(event, recorded).merging(["name": .string(name.value)]) { $1 }
            }, write: renamed),
            ProjectionHandler("user.company_changed", codec: User.codec, row: { event, recorded in
                guard case let .companyChanged(company, _) = event else { return nil }
                return Self.userRow(event, recorded).merging(["company_id": .company(company)]) { $1 }
            }, write: companyChanged),
        ]
    }

    /// What every user event sets: `{user_id, at, version}`.
    private static func userRow(_ event: User.Event, _ recorded: RecordedEvent) -> [String: JSONValue] {
        ["user_id": .id(recorded.stream.id), "at": .time(event.at), "version": .int(recorded.streamVersion)]
    }

    /// Remembers each name and writes it into the company's users (none, at
    /// the company's creation, unless a user came first).
    private func companyNamed(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(company_id uuid, name text)
        ), named AS (
            INSERT INTO \(unsafeRaw: names) (company_id, name) SELECT company_id, name FROM e
            ON CONFLICT (company_id) DO UPDATE SET name = excluded.name
        )
        UPDATE \(unsafeRaw: view) AS v SET company_name = e.name
        FROM e WHERE v.company_id = e.company_id AND v.company_name IS DISTINCT FROM e.name
        """
    }

    /// Inserts the users, each with its company's name as known now, and counts them.
    private func created(_ rows: String) -> SQL {
        """
        WITH e AS (
            SELECT * FROM jsonb_to_recordset(\(rows)::jsonb) AS e(
                user_id uuid, name text, email text, company_id uuid, at timestamptz, version int)
        ), counted AS (
            INSERT INTO \(unsafeRaw: count) AS c (singleton, users) SELECT true, count(*) FROM e
            ON CONFLICT (singleton) DO UPDATE SET users = c.users + excluded.users
        )
        INSERT INTO \(unsafeRaw: view) (user_id, name, email, company_id, company_name, created_at, updated_at, version)
        SELECT e.user_id, e.name, e.email, e.company_id, n.name, e.at, e.at, e.version
        FROM e LEFT JOIN \(unsafeRaw: names) AS n ON n.company_id = e.company_id
        """
    }

    private func renamed(_ rows: String) -> SQL {
        """
        UPDATE \(unsafeRaw: view) AS v SET name = e.name, updated_at = e.at, version = e.version
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(user_id uuid, name text, at timestamptz, version int)
        WHERE v.user_id = e.user_id
        """
    }

    /// Moves each user, taking the new company's name as known now (NULL
    /// for no company).
    private func companyChanged(_ rows: String) -> SQL {
        """
        UPDATE \(unsafeRaw: view) AS v
        SET company_id = e.company_id, company_name = n.name, updated_at = e.at, version = e.version
        FROM jsonb_to_recordset(\(rows)::jsonb) AS e(user_id uuid, company_id uuid, at timestamptz, version int)
        LEFT JOIN \(unsafeRaw: names) AS n ON n.company_id = e.company_id
        WHERE v.user_id = e.user_id
        """
    }
}

extension JSONValue {
    /// A company reference as it goes into a row's JSON: its id, or null for none.
    static func company(_ id: CompanyID?) -> JSONValue { id.map { .id($0.uuid) } ?? .null }
}
