-- The event table is the system of record: append-only, ordered by
-- global_position, one row per event. transaction_id records the writer's
-- transaction so readers can tail it without skipping rows whose transaction
-- commits out of position order (see the projector's documentation).
CREATE TABLE events (
    global_position      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id            uuid        NOT NULL,
    stream_type          text        NOT NULL,
    stream_version       int         NOT NULL CHECK (stream_version > 0),
    event_type           text        NOT NULL,
    event_schema_version int         NOT NULL DEFAULT 1 CHECK (event_schema_version > 0),
    data                 jsonb       NOT NULL,
    metadata             jsonb       NOT NULL,
    recorded_at          timestamptz NOT NULL DEFAULT now(),
    transaction_id       xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
);

-- Readers consume events in (transaction_id, global_position) order.
CREATE INDEX events_log_order ON events (transaction_id, global_position);

-- The database itself refuses to rewrite history.
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER events_append_only_rows
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_append_only_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- One row per projection: how far it has read, written in the same
-- transaction as the read rows it covers.
CREATE TABLE projection_checkpoints (
    name            text        PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT '0',
    global_position bigint      NOT NULL DEFAULT 0,
    state           text        NOT NULL DEFAULT 'running'
                                CHECK (state IN ('running', 'failed')),
    last_error      text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
