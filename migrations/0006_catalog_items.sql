-- Read model of the catalog context: the items projection's tables, made
-- by one function (as in 0003) so a rebuild creates the same shape in a
-- fresh schema before swapping it in.

CREATE FUNCTION items_projection_create_tables(target_schema text) RETURNS void
LANGUAGE plpgsql AS $function$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;

    -- One row per item, as GET /items/{sku} shows it. The sku is the key
    -- and sorts in byte order (COLLATE "C"), the order GET /items lists.
    -- item_stream is the item's stream id: item.description_changed names
    -- only its stream.
    EXECUTE format($ddl$
        CREATE TABLE %I.items_view (
            sku         text        COLLATE "C" PRIMARY KEY,
            item_stream uuid        NOT NULL UNIQUE,
            description text        NOT NULL,
            created_at  timestamptz NOT NULL,
            updated_at  timestamptz NOT NULL,
            version     int         NOT NULL
        ) WITH (fillfactor = 90)
    $ddl$, target_schema);

    -- How many items there are: GET /items' total without a count over the
    -- whole table. At most one row, there from the first item.
    EXECUTE format($ddl$
        CREATE TABLE %I.items_count (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            items     bigint  NOT NULL
        )
    $ddl$, target_schema);
END;
$function$;

SELECT items_projection_create_tables('public');
