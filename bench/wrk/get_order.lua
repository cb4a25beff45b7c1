-- GET /orders/{id} over ids read from ORDER_IDS (one per line), round robin.
local ids = {}
local n = 0

function init(args)
    for line in io.lines(os.getenv("ORDER_IDS")) do
        if #line > 0 then ids[#ids + 1] = line end
    end
end

function request()
    n = n % #ids + 1
    return wrk.format("GET", "/orders/" .. ids[n])
end

function response(status, headers, body)
    if status ~= 200 then io.stderr:write("unexpected status " .. status .. "\n") end
end
