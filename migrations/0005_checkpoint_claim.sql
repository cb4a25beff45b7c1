-- A projection batch claims its checkpoint row before it writes a read row:
-- the row lock it takes orders the batch against anything else that moves
-- the checkpoint (a second projector, a rebuild's swap), and the check that
-- the row is still where the batch read from turns a race into a clean
-- "checkpoint moved" (CP001) before any read-table write can fail on rows a
-- swap already put in place. Under READ COMMITTED, FOR UPDATE waits for a
-- concurrent writer of the row and then re-checks the WHERE on the row it
-- committed, so a checkpoint moved while we waited is seen as moved.
CREATE FUNCTION chronicle_claim_checkpoint(p_name text, p_xid xid8, p_position bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM projection_checkpoints
    WHERE name = p_name AND transaction_id = p_xid AND global_position = p_position
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the checkpoint of % is no longer at %/%', p_name, p_xid, p_position
            USING ERRCODE = 'CP001';
    END IF;
END;
$$;
