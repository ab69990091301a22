-- wrk script for Scripts/bench_service.py: POST /v1/match with JSON hash queries.
--
--   wrk -t2 -c16 -d20s --latency -H "Authorization: Bearer $KEY" \
--       -s Scripts/wrk/match_json.lua http://127.0.0.1:PORT/v1/match -- queries.txt
--
-- queries.txt holds one PDQ hash (64 hex digits) per line. Every thread builds the
-- requests `{"pdq":"<hex>"}` once in init() and cycles through them, each thread
-- starting at a different offset. done() prints one line
-- "wrk-summary: {json}" with exact counts and percentiles (microseconds).

local common = dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "common.lua")

function setup(thread)
  common.setup(thread)
end

function init(args)
  local path = args[1] or error("usage: -- QUERIES_FILE")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local bodies = {}
  for line in io.lines(path) do
    local hex = line:match("^%s*(%x+)%s*$")
    if hex then bodies[#bodies + 1] = '{"pdq":"' .. hex .. '"}' end
  end
  common.prepare(bodies)
end

request = common.request
done = common.done
