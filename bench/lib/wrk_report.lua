-- Prints the run's figures on one machine-readable line after wrk's own report:
--   xlb-bench <requests/s> <p50 us> <p99 us> <errors> <requests>
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("xlb-bench %.1f %.1f %.1f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), errors, summary.requests))
end
