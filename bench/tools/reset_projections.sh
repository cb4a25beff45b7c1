#!/usr/bin/env bash
psql $1 -qtA <<'SQL'
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
           AND tablename NOT IN ('events', 'projection_checkpoints', 'schema_migrations', 'unique_claims', 'idempotency_keys') LOOP
    EXECUTE format('TRUNCATE %I', t);
  END LOOP;
END $$;
DELETE FROM projection_checkpoints;
CHECKPOINT;
SQL
