-- wrk script: PUT /api/logos-vision/auto-sync/config, rotating over the workspaces api-1..api-N
-- (N from PULSE_BENCH_WORKSPACES), each request with that workspace's own key. The interval
-- alternates between 12 and 24 hours on every pass over the workspaces, so each request changes
-- the stored row (an unchanged request would write nothing). Prints one line of figures when done.
local workspaces = tonumber(os.getenv("PULSE_BENCH_WORKSPACES") or "10000")
local counter = 0
local started = 0

function setup(thread)
  thread:set("offset", started * 4999)
  started = started + 1
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  local n = counter % workspaces + 1
  local hours = (math.floor(counter / workspaces) % 2 == 0) and 12 or 24
  local body = string.format('{"workspace_id":"api-%d","enabled":true,"interval_hours":%d}', n, hours)
  return wrk.format("PUT", "/api/logos-vision/auto-sync/config",
    { ["Authorization"] = "Bearer pulse_bench_key_" .. n, ["Content-Type"] = "application/json" },
    body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
