-- A projection's checkpoint moves forward only from where its writer read
-- it (compare-and-set), and refuses loudly otherwise: raising, rather than
-- updating no row, lets the projector send the advance and the COMMIT in one
-- round trip, since an error makes the COMMIT a rollback.
CREATE FUNCTION chronicle_advance_checkpoint(p_name text, p_from_xid xid8, p_from_position bigint,
                                             p_to_xid xid8, p_to_position bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE projection_checkpoints
    SET transaction_id = p_to_xid, global_position = p_to_position,
        state = 'running', last_error = NULL, updated_at = now()
    WHERE name = p_name AND transaction_id = p_from_xid AND global_position = p_from_position;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the checkpoint of % is no longer at %/%', p_name, p_from_xid, p_from_position
            USING ERRCODE = 'CP001';
    END IF;
END;
$$;
