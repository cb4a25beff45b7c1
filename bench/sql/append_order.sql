-- What command-service sends for POST /orders, for pgbench -M prepared:
-- read the customer's stream, read the (new, empty) order stream, then the
-- append transaction (version check + insert). Random ids stand in for the
-- server-generated ones.
\set customer random(1, 1000)
\set order random(1, 1000000000)
SELECT global_position, transaction_id, stream_id, stream_type, stream_version, event_type, event_schema_version, data, metadata, recorded_at FROM events WHERE stream_id = md5('bench-customer-' || :customer)::uuid ORDER BY stream_version;
SELECT global_position, transaction_id, stream_id, stream_type, stream_version, event_type, event_schema_version, data, metadata, recorded_at FROM events WHERE stream_id = md5('bench-order-' || :order)::uuid ORDER BY stream_version;
BEGIN;
SELECT chronicle_expect_version(md5('bench-order-' || :order)::uuid, 0);
INSERT INTO events (stream_id, stream_type, stream_version, event_type, event_schema_version, data, metadata) VALUES (md5('bench-order-' || :order)::uuid, 'order', 1, 'order.placed', 2, '{"at": "2026-11-25T19:58:24.663Z", "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": "4.50"}], "customer_id": "cfa25ea4-040d-4a98-8609-9e16f155e975", "shipping_address": {"city": "Berlin", "line1": "1 Main St", "country": "DE", "postal_code": "10117"}}'::jsonb, '{"command_id": "494142e0-f992-4311-bb75-8f2eb1821b42", "causation_id": "494142e0-f992-4311-bb75-8f2eb1821b42", "correlation_id": "67c1b9eb-7caf-4648-9bf7-9fdadd511bbb"}'::jsonb) RETURNING global_position, transaction_id, stream_version;
COMMIT;
