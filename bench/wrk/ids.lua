-- Shared helpers (loaded with dofile): ids read from a file named by an
-- environment variable, one per line, and a per-thread random seed.
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("thread_number", threads)
end

function read_ids(variable)
    local path = os.getenv(variable)
    if not path then error(variable .. " is not set") end
    local ids = {}
    for line in io.lines(path) do
        if #line > 0 then ids[#ids + 1] = line end
    end
    if #ids == 0 then error(path .. " holds no ids") end
    math.randomseed(os.time() * 1000 + (thread_number or 0))
    return ids
end
