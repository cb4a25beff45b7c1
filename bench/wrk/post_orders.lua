-- POST /orders for one customer (CUSTOMER_ID env), a fresh order each request.
local customer = os.getenv("CUSTOMER_ID")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"customer_id": "' .. customer .. '", "items": [{"sku": "MUG-1", "quantity": 2, "unit_price": "4.50"}], '
    .. '"shipping_address": {"line1": "1 Main St", "city": "Berlin", "postal_code": "10117", "country": "DE"}}'

function response(status, headers, body)
    if status ~= 201 then
        io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
    end
end
