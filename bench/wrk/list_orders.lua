-- GET /orders?customer_id= for random customers among CUSTOMER_IDS (a file,
-- one id a line): the first page, newest first, with the total.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
dofile(here .. "ids.lua")

local ids

function init(args)
    ids = read_ids("CUSTOMER_IDS")
end

function request()
    return wrk.format("GET", "/orders?customer_id=" .. ids[math.random(#ids)])
end
