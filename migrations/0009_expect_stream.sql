-- An append whose events refer to another stream (an order to its customer)
-- requires that stream to hold an event, checked in the append's own round
-- trip instead of by a read of the stream first. Fails the transaction with
-- SQLSTATE CV002, the stream's id as its detail, when the stream has none.
-- Streams are never deleted, so a stream seen here stays for good.
CREATE FUNCTION chronicle_expect_stream(p_stream uuid, p_type text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM events WHERE stream_id = p_stream AND stream_type = p_type LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stream %-% has no events', p_type, p_stream
            USING ERRCODE = 'CV002', DETAIL = p_stream::text;
    END IF;
END;
$$;
