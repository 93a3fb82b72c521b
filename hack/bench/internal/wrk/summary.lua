-- Loaded by `make bench` into every wrk run. done() prints one machine-readable line
-- with wrk's exact counters and latency percentiles (µs), and, when the run counts
-- response statuses (statuses.lua), one line per status.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "bench-summary requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(90)),
    math.floor(latency:percentile(99)), math.floor(latency.max)))
  local total = {}
  for _, t in ipairs(threads) do
    local counts = t:get("statuses")
    if counts then
      for code, n in pairs(counts) do
        total[code] = (total[code] or 0) + n
      end
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("bench-status %d %d\n", code, n))
  end
end
