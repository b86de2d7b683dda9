-- wrk script: POST pre-signed webhook requests, one unique mention each, at a steady pace.
-- Each connection waits PACE_MS between its requests: C connections give about C*1000/PACE_MS
-- requests per second. Thread t of T sends requests t, t+T, t+2T, ... so none repeats.
local requests = {}
local counter = 0
local pace_ms = tonumber(os.getenv("PACE_MS") or "20")
local threads = tonumber(os.getenv("THREADS") or "1")
local host = os.getenv("BENCH_HOST")
local path = os.getenv("BENCH_PATH")
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  for line in io.lines(os.getenv("REQUESTS_FILE")) do
    local stamp, signature, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
    requests[#requests + 1] = {stamp = stamp, signature = signature, body = body}
  end
end

function request()
  local r = requests[((id + counter * threads) % #requests) + 1]
  counter = counter + 1
  return wrk.format("POST", path, {
    ["Host"] = host,
    ["Content-Type"] = "application/json",
    ["X-Stormdesk-Timestamp"] = r.stamp,
    ["X-Stormdesk-Signature"] = r.signature,
  }, r.body)
end

function delay()
  return pace_ms
end

function done(summary, latency, requests_done)
  io.write(string.format(
    "WRK requests=%d duration_s=%.2f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
