-- wrk script for Scripts/bench_service.py: POST /v1/match with JPEG uploads.
--
--   wrk -t2 -c6 -d20s --latency -H "Authorization: Bearer $KEY" \
--       -s Scripts/wrk/match_upload.lua http://127.0.0.1:PORT/v1/match -- images.txt
--
-- images.txt holds one JPEG file path per line. Every thread reads the files once in
-- init() and sends them round-robin as `Content-Type: image/jpeg` bodies, each thread
-- starting at a different offset. done() prints one line "wrk-summary: {json}".

local common = dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "common.lua")

function setup(thread)
  common.setup(thread)
end

function init(args)
  local list = args[1] or error("usage: -- IMAGE_LIST_FILE")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "image/jpeg"
  local bodies = {}
  for line in io.lines(list) do
    local path = line:match("^%s*(.-)%s*$")
    if path ~= "" then
      local f = assert(io.open(path, "rb"))
      bodies[#bodies + 1] = f:read("*a")
      f:close()
    end
  end
  common.prepare(bodies)
end

request = common.request
done = common.done
