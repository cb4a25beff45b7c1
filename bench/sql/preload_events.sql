-- Preloads :units × 8 realistic events (the domain's stored shapes), one
-- transaction per 10,000 units, for projector catch-up measurements:
-- customer registered, order placed, 3 items added (one merging), confirmed,
-- shipped or cancelled, customer renamed.
-- psql -v units=125000 -f bench/sql/preload_events.sql
\set ON_ERROR_STOP on
SELECT set_config('chronicle.units', :'units', false);
DO $preload$
DECLARE
    total int := current_setting('chronicle.units')::int;
    chunk int := 10000;
    first int := 1;
BEGIN
    WHILE first <= total LOOP
        INSERT INTO events (stream_id, stream_type, stream_version, event_type, event_schema_version, data, metadata)
        SELECT stream_id, stream_type, stream_version, event_type, schema_version, data, metadata
        FROM (
            SELECT k, e.ordinal,
                   CASE WHEN e.stream = 'customer' THEN md5('customer-' || k)::uuid ELSE md5('order-' || k)::uuid END AS stream_id,
                   e.stream AS stream_type, e.version AS stream_version, e.type AS event_type, e.schema_version,
                   jsonb_build_object('at', to_char(timestamptz '2026-01-01 09:00:00+00' + make_interval(days => k % 300, secs => e.ordinal),
                                                     'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                     || CASE e.type
                        WHEN 'customer.registered' THEN jsonb_build_object('name', 'Customer ' || k, 'email', 'c' || k || '@example.com')
                        WHEN 'customer.renamed' THEN jsonb_build_object('name', 'Renamed ' || k)
                        WHEN 'order.placed' THEN jsonb_build_object(
                            'customer_id', md5('customer-' || k)::uuid::text,
                            'lines', jsonb_build_array(jsonb_build_object('sku', 'MUG', 'quantity', 2, 'unit_price', '4.50')),
                            'shipping_address', jsonb_build_object('line1', '1 Main St', 'city', 'Berlin', 'postal_code', '10117', 'country', 'DE'))
                        WHEN 'order.item_added' THEN jsonb_build_object('sku', e.sku, 'quantity', 1, 'unit_price', e.price)
                        WHEN 'order.cancelled' THEN jsonb_build_object('reason', 'changed mind')
                        ELSE '{}'::jsonb
                     END AS data,
                   '{"command_id": "00000000-0000-4000-8000-000000000000", "causation_id": "preload", "correlation_id": "preload"}'::jsonb AS metadata
            FROM generate_series(first, least(first + chunk - 1, total)) AS k
            CROSS JOIN LATERAL (VALUES
                (1, 'customer', 1, 'customer.registered', 1, NULL, NULL),
                (2, 'order', 1, 'order.placed', 2, NULL, NULL),
                (3, 'order', 2, 'order.item_added', 1, 'TEA', '2.25'),
                (4, 'order', 3, 'order.item_added', 1, 'CUP', '7.00'),
                (5, 'order', 4, 'order.item_added', 1, 'TEA', '2.25'),
                (6, 'order', 5, 'order.confirmed', 1, NULL, NULL),
                (7, 'order', 6, CASE WHEN k % 2 = 0 THEN 'order.shipped' ELSE 'order.cancelled' END, 1, NULL, NULL),
                (8, 'customer', 2, 'customer.renamed', 1, NULL, NULL)
            ) AS e (ordinal, stream, version, type, schema_version, sku, price)
            ORDER BY k, e.ordinal
        ) AS generated;
        COMMIT;
        first := first + chunk;
    END LOOP;
END;
$preload$;
