-- wrk script: GET /api/logos-vision/auto-sync/config, rotating over the workspaces api-1..api-N
-- (N from PULSE_BENCH_WORKSPACES), each request with that workspace's own key. Each thread starts
-- at its own place in the rotation. Prints one line of figures when done.
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
  return wrk.format("GET", "/api/logos-vision/auto-sync/config?workspace_id=api-" .. n,
    { ["Authorization"] = "Bearer pulse_bench_key_" .. n })
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
