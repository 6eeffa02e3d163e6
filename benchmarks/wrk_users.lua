-- wrk script for bench_webhook.py: one connection per wrk thread, each thread sending its own
-- stream of pre-made requests once, in order. A stream holds whole user visits, so one user's
-- turns (a form step by step) go in order on one connection while many users are served at
-- once. Files are "<prefix>-<thread>.bin" with records "path\nbody\0". Every request is a
-- distinct WeChat message: a repeat would be a de-duplicated retry (much cheaper), so running
-- out is reported, not wrapped around silently.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local reqs = {}
local n = 0
local i = 0
ran_out = 0

function init(args)
  local f = assert(io.open(args[1] .. "-" .. id .. ".bin", "rb"))
  local data = f:read("*a")
  f:close()
  for path, body in data:gmatch("([^\n%z]+)\n([^%z]*)%z") do
    n = n + 1
    reqs[n] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
  end
end

function request()
  i = i + 1
  if i > n then
    i = 1
    ran_out = 1
  end
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  local out = 0
  for _, t in ipairs(threads) do
    out = out + t:get("ran_out")
  end
  io.write(string.format(
    "WRKJSON {\"requests\": %d, \"duration_us\": %d, \"errors\": %d, \"p50_us\": %d, \"p99_us\": %d, \"ran_out\": %d}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), out))
end
