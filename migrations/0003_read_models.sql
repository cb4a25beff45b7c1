-- Read models: the tables of the three projections (orders, customers,
-- daily_sales). Each projection reads and writes only its own tables and has
-- its own checkpoint, so one may be ahead of another.
--
-- The DDL lives once, here, in one function per projection that creates the
-- projection's tables and indexes in a given schema. This migration calls
-- them for `public`; a rebuild calls them (through ReadModel's
-- `createTables(in:on:)`) for a fresh schema, builds the new tables there and
-- swaps them in. A later change of a read table is a new migration that
-- alters the `public` tables and replaces the function in the same
-- transaction, so rebuilds always create the shape the database is at.
--
-- Money is bigint minor units (cents); times are timestamptz.

CREATE FUNCTION orders_projection_create_tables(target_schema text) RETURNS void
LANGUAGE plpgsql AS $function$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;

    -- One row per order, as GET /orders/{id} and GET /orders show it.
    -- Updated several times in an order's life: fillfactor leaves room for
    -- HOT updates (those that change no indexed column).
    EXECUTE format($ddl$
        CREATE TABLE %I.orders_view (
            order_id         uuid        PRIMARY KEY,
            customer_id      uuid        NOT NULL,
            customer_name    text        NOT NULL,
            status           text        NOT NULL
                                         CHECK (status IN ('pending', 'confirmed', 'shipped', 'cancelled')),
            item_count       int         NOT NULL,
            total_amount     bigint      NOT NULL,
            ship_line1       text        NOT NULL,
            ship_line2       text,
            ship_city        text        NOT NULL,
            ship_postal_code text        NOT NULL,
            ship_country     text        NOT NULL,
            created_at       timestamptz NOT NULL,
            updated_at       timestamptz NOT NULL,
            version          int         NOT NULL
        ) WITH (fillfactor = 90)
    $ddl$, target_schema);
    -- GET /orders, newest first, unfiltered / by customer (also the rename
    -- fan-out's lookup) / by status. By customer and status uses the
    -- customer index: one customer's orders are few.
    EXECUTE format('CREATE INDEX orders_view_by_created ON %I.orders_view (created_at DESC, order_id DESC)',
                   target_schema);
    EXECUTE format('CREATE INDEX orders_view_by_customer ON %I.orders_view (customer_id, created_at DESC, order_id DESC)',
                   target_schema);
    EXECUTE format('CREATE INDEX orders_view_by_status ON %I.orders_view (status, created_at DESC, order_id DESC)',
                   target_schema);

    -- An order's lines, one per sku, in the order they were first added.
    EXECUTE format($ddl$
        CREATE TABLE %I.orders_view_lines (
            order_id   uuid   NOT NULL,
            sku        text   NOT NULL,
            position   int    NOT NULL,
            quantity   int    NOT NULL,
            unit_price bigint NOT NULL,
            PRIMARY KEY (order_id, sku)
        )
    $ddl$, target_schema);

    -- How many orders have each status, so the totals of GET /orders without
    -- a customer filter need no count over the whole table (one with a
    -- customer counts that customer's few rows through its index). A row
    -- appears with the first order of its status.
    EXECUTE format($ddl$
        CREATE TABLE %I.orders_status_counts (
            status text   PRIMARY KEY,
            orders bigint NOT NULL
        )
    $ddl$, target_schema);

    -- Customer names as this projection has seen them (customer.registered,
    -- customer.renamed), for orders_view.customer_name.
    EXECUTE format($ddl$
        CREATE TABLE %I.orders_customer_names (
            customer_id uuid PRIMARY KEY,
            name        text NOT NULL
        )
    $ddl$, target_schema);
END;
$function$;

CREATE FUNCTION customers_projection_create_tables(target_schema text) RETURNS void
LANGUAGE plpgsql AS $function$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;

    -- One row per customer, as GET /customers/{id} shows it. Names sort by
    -- code point (COLLATE "C"), the same on every server whatever its locale.
    EXECUTE format($ddl$
        CREATE TABLE %I.customers_view (
            customer_id   uuid        PRIMARY KEY,
            name          text        COLLATE "C" NOT NULL,
            email         text        NOT NULL,
            order_count   int         NOT NULL,
            total_spent   bigint      NOT NULL,
            last_order_at timestamptz,
            version       int         NOT NULL
        ) WITH (fillfactor = 90)
    $ddl$, target_schema);
    -- GET /customers: by name, then id.
    EXECUTE format('CREATE INDEX customers_view_by_name ON %I.customers_view (name, customer_id)', target_schema);

    -- How many customers there are: GET /customers' total without a count
    -- over the whole table. At most one row, there from the first registration.
    EXECUTE format($ddl$
        CREATE TABLE %I.customers_count (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            customers bigint  NOT NULL
        )
    $ddl$, target_schema);

    -- What this projection must remember of each order to keep total_spent
    -- exact: the amount of each line (sku → quantity × unit price, since
    -- order.item_removed names only the sku), the total, and whether it was
    -- cancelled.
    EXECUTE format($ddl$
        CREATE TABLE %I.customers_orders (
            order_id    uuid        PRIMARY KEY,
            customer_id uuid        NOT NULL,
            line_totals jsonb       NOT NULL,
            total       bigint      NOT NULL,
            cancelled   boolean     NOT NULL,
            created_at  timestamptz NOT NULL
        )
    $ddl$, target_schema);
    -- A registration sums the orders seen before it (defensive; see CustomersProjection).
    EXECUTE format('CREATE INDEX customers_orders_by_customer ON %I.customers_orders (customer_id)', target_schema);
END;
$function$;

CREATE FUNCTION daily_sales_projection_create_tables(target_schema text) RETURNS void
LANGUAGE plpgsql AS $function$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;

    -- One row per UTC day with activity; the primary key serves date ranges.
    EXECUTE format($ddl$
        CREATE TABLE %I.daily_sales_view (
            day              date   PRIMARY KEY,
            orders_placed    int    NOT NULL,
            orders_cancelled int    NOT NULL,
            revenue          bigint NOT NULL
        )
    $ddl$, target_schema);

    -- What this projection must remember of each order: line amounts (as in
    -- customers_orders), the total, and whether it was confirmed.
    EXECUTE format($ddl$
        CREATE TABLE %I.daily_sales_orders (
            order_id    uuid    PRIMARY KEY,
            line_totals jsonb   NOT NULL,
            total       bigint  NOT NULL,
            confirmed   boolean NOT NULL
        )
    $ddl$, target_schema);
END;
$function$;

SELECT orders_projection_create_tables('public');
SELECT customers_projection_create_tables('public');
SELECT daily_sales_projection_create_tables('public');
