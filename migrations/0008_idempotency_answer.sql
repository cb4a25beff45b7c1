-- An Idempotency-Key keeps the first answer as one opaque value, encoded by
-- the command service (JSON: status, headers, body in base64), instead of
-- HTTP's status, headers and body in columns of the storage adapter.
-- Existing keys keep their answers, re-encoded here.

ALTER TABLE idempotency_keys ADD COLUMN answer bytea NOT NULL DEFAULT '';

UPDATE idempotency_keys
SET answer = convert_to(jsonb_build_object(
        'status', status,
        'headers', headers,
        'body', translate(encode(body, 'base64'), E'\n', ''))::text, 'UTF8');

ALTER TABLE idempotency_keys DROP COLUMN status, DROP COLUMN headers, DROP COLUMN body;
