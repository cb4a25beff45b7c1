-- POST /orders/{id}/items to random orders among ORDER_IDS (a file, one id a
-- line): one MUG-1 line at 4.50, which merges into the order's MUG-1 line.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
dofile(here .. "ids.lua")

local ids
local headers = { ["Content-Type"] = "application/json" }
local body = '{"sku": "MUG-1", "quantity": 1, "unit_price": "4.50"}'

function init(args)
    ids = read_ids("ORDER_IDS")
end

function request()
    return wrk.format("POST", "/orders/" .. ids[math.random(#ids)] .. "/items", headers, body)
end
