-- Read models of the accounts context: the tables of the users and
-- companies projections. As in 0003, each projection owns its tables (its
-- own checkpoint may be ahead of or behind the other's), and its DDL lives
-- once, in a function that creates them in a given schema: this migration
-- calls it for `public`, a rebuild for a fresh schema it then swaps in.
--
-- Names sort by code point (COLLATE "C"), the same on every server whatever
-- its locale. Times are timestamptz.

CREATE FUNCTION users_projection_create_tables(target_schema text) RETURNS void
LANGUAGE plpgsql AS $function$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;

    -- One row per user, as GET /users/{id} shows it; company_id and
    -- company_name are NULL for a user in no company. company_name is
    -- rewritten by every rename of the company and indexed by nothing, so
    -- that fan-out is a HOT update (fillfactor leaves the room).
    EXECUTE format($ddl$
        CREATE TABLE %I.users_view (
            user_id      uuid        PRIMARY KEY,
            name         text        COLLATE "C" NOT NULL,
            email        text        NOT NULL,
            company_id   uuid,
            company_name text,
            created_at   timestamptz NOT NULL,
            updated_at   timestamptz NOT NULL,
            version      int         NOT NULL
        ) WITH (fillfactor = 90)
    $ddl$, target_schema);
    -- GET /users: by name, then id; the same for one company's users (also
    -- the lookup of a company rename's fan-out and of that list's total).
    EXECUTE format('CREATE INDEX users_view_by_name ON %I.users_view (name, user_id)', target_schema);
    EXECUTE format('CREATE INDEX users_view_by_company ON %I.users_view (company_id, name, user_id)', target_schema);

    -- Company names as this projection has seen them (company.created,
    -- company.renamed), for users_view.company_name.
    EXECUTE format($ddl$
        CREATE TABLE %I.users_company_names (
            company_id uuid PRIMARY KEY,
            name       text NOT NULL
        )
    $ddl$, target_schema);

    -- How many users there are: GET /users' unfiltered total without a count
    -- over the whole table. At most one row, there from the first user.
    EXECUTE format($ddl$
        CREATE TABLE %I.users_count (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            users     bigint  NOT NULL
        )
    $ddl$, target_schema);
END;
$function$;

CREATE FUNCTION companies_projection_create_tables(target_schema text) RETURNS void
LANGUAGE plpgsql AS $function$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;

    -- One row per company, as GET /companies/{id} shows it. user_count
    -- changes with every move in or out and is indexed by nothing (a HOT
    -- update); the dashboard, which orders by it, reads every row anyway.
    EXECUTE format($ddl$
        CREATE TABLE %I.companies_view (
            company_id uuid        PRIMARY KEY,
            name       text        COLLATE "C" NOT NULL,
            active     boolean     NOT NULL,
            user_count int         NOT NULL CHECK (user_count >= 0),
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            version    int         NOT NULL
        ) WITH (fillfactor = 90)
    $ddl$, target_schema);
    -- GET /companies: by name, then id; the same for the active or the
    -- inactive ones.
    EXECUTE format('CREATE INDEX companies_view_by_name ON %I.companies_view (name, company_id)', target_schema);
    EXECUTE format('CREATE INDEX companies_view_by_active ON %I.companies_view (active, name, company_id)',
                   target_schema);

    -- Which company each user is in (NULL: none), because user.company_changed
    -- names only the company the user moves to: the one left is read here.
    EXECUTE format($ddl$
        CREATE TABLE %I.companies_memberships (
            user_id    uuid PRIMARY KEY,
            company_id uuid
        )
    $ddl$, target_schema);
    -- A company's creation counts the users already seen in it (defensive;
    -- see CompaniesProjection).
    EXECUTE format('CREATE INDEX companies_memberships_by_company ON %I.companies_memberships (company_id)',
                   target_schema);

    -- The totals of GET /companies and of the dashboard, without a count over
    -- a whole table. At most one row, there from the first company or user.
    EXECUTE format($ddl$
        CREATE TABLE %I.companies_totals (
            singleton             boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            companies             bigint  NOT NULL,
            active_companies      bigint  NOT NULL,
            users                 bigint  NOT NULL,
            users_without_company bigint  NOT NULL
        )
    $ddl$, target_schema);
END;
$function$;

SELECT users_projection_create_tables('public');
SELECT companies_projection_create_tables('public');
