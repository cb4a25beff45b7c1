-- POST /orders for one customer (CUSTOMER_ID env), a new order each request.
-- usage: CUSTOMER_ID=… wrk -c 32 -d 10s -s post_orders.lua http://127.0.0.1:8080/orders
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local customer = os.getenv("CUSTOMER_ID")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"customer_id": "' .. customer .. '", "items": [{"sku": "MUG-1", "quantity": 2, "unit_price": "4.50"}], '
    .. '"shipping_address": {"line1": "1 Main St", "city": "Berlin", "postal_code": "10117", "country": "DE"}}'
