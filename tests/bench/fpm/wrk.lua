-- tests/bench/bench_fpm.sh: cycles through the request paths of the file in $WRK_PATHS
-- (each wrk thread from its own offset) and prints one line:
--   requests N errors E rps R p50 MS p95 MS
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests %d errors %d rps %.1f p50 %.2f p95 %.2f\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
