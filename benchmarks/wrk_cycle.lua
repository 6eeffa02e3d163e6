-- wrk script for bench_webhook.py: POST each pre-made request once, in order.
-- The file holds records "path\nbody\0"; every request is a distinct WeChat message, so a
-- repeat would be a de-duplicated retry (much cheaper) and flatter parkbot: running out is
-- reported, not wrapped around silently.
local reqs = {}
local n = 0
local i = 0

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  for path, body in data:gmatch("([^\n%z]+)\n([^%z]*)%z") do
    n = n + 1
    reqs[n] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
  end
end

function request()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\": %d, \"duration_us\": %d, \"errors\": %d, \"p50_us\": %d, \"p99_us\": %d}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
