-- Shared by match_json.lua and match_upload.lua (loaded with dofile from the same
-- folder): per-thread round-robin over pre-formatted requests, and a machine-readable
-- summary line at the end.

local M = {}
local threads = {}
local requests = {}
local index = 0

-- Main Lua state, once per thread before init(): give each thread an id.
function M.setup(thread)
  thread:set("thread_id", #threads)
  threads[#threads + 1] = thread
end

-- Thread state: format every request once (headers from wrk.headers, including -H).
function M.prepare(bodies)
  if #bodies == 0 then error("no request bodies") end
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format(nil, nil, nil, body)
  end
  -- Spread the threads over the pool instead of sending the same sequence.
  index = ((thread_id or 0) * 7919) % #requests
end

function M.request()
  index = index % #requests + 1
  return requests[index]
end

-- Main Lua state, after the run. Durations and latencies are in microseconds.
function M.done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'wrk-summary: {"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"p99.9":%d}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end

return M
