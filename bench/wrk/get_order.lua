-- GET /orders/{id} for random ids among ORDER_IDS (a file, one id a line).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
dofile(here .. "ids.lua")

local ids

function init(args)
    ids = read_ids("ORDER_IDS")
end

function request()
    return wrk.format("GET", "/orders/" .. ids[math.random(#ids)])
end
