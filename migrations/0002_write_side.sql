-- Values that must be unique across streams (a customer's email, compared
-- case-insensitively, so stored normalised), claimed in the same transaction
-- as the events that introduce them.
CREATE TABLE unique_claims (
    scope      text        NOT NULL,
    value      text        NOT NULL,
    stream_id  uuid        NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT unique_claims_pkey PRIMARY KEY (scope, value)
);

-- Idempotency-Key records: the key, a hash of the request it was first used
-- with, and the response given, written in the same transaction as the
-- command's events. status 0 marks a key whose first request is in flight
-- (its row lock makes repeats wait). Rows older than the retention period are
-- deleted by the command service.
CREATE TABLE idempotency_keys (
    key          text        PRIMARY KEY,
    request_hash bytea       NOT NULL,
    status       int         NOT NULL DEFAULT 0,
    headers      jsonb       NOT NULL DEFAULT '{}',
    body         bytea       NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- The optimistic-concurrency guard of an append: fails the transaction unless
-- the stream is at the version the writer decided on. (A concurrent writer
-- that passed the same guard is stopped by unique (stream_id, stream_version).)
CREATE FUNCTION chronicle_expect_version(p_stream uuid, p_expected int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    actual int;
BEGIN
    SELECT coalesce(max(stream_version), 0) INTO actual FROM events WHERE stream_id = p_stream;
    IF actual <> p_expected THEN
        RAISE EXCEPTION 'stream % is at version %, not %', p_stream, actual, p_expected
            USING ERRCODE = 'CV001', DETAIL = actual::text;
    END IF;
END;
$$;
