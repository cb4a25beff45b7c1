-- What query-service sends for GET /orders/{id} (ReadModel.ShopQueries.orderStatement), for pgbench -M prepared.
\set k random(1, 125000)
SELECT v.order_id, v.customer_id, v.customer_name, v.status, v.item_count, v.total_amount, v.ship_line1, v.ship_line2, v.ship_city, v.ship_postal_code, v.ship_country, v.created_at, v.updated_at, v.version, l.sku, l.quantity, l.unit_price FROM public.orders_view AS v LEFT JOIN public.orders_view_lines AS l ON l.order_id = v.order_id WHERE v.order_id = md5('order-' || :k)::uuid ORDER BY l.position;
