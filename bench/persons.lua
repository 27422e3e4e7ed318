-- wrk script: GET /api/v1/persons/{id}?purpose=administration for random ids of a file, with a
-- bearer token (a record is opened only for a stated purpose, see docs/API.md).
-- Usage: DANCU_TOKEN=dct_... DANCU_IDS=ids.txt wrk -t2 -c64 -d20s -s bench/persons.lua http://127.0.0.1:8080
local ids = {}
for line in io.lines(os.getenv("DANCU_IDS")) do ids[#ids + 1] = line end
local auth = "Bearer " .. os.getenv("DANCU_TOKEN")
local n = 0

request = function()
  n = n + 1
  local id = ids[(n * 7919) % #ids + 1]
  return wrk.format("GET", "/api/v1/persons/" .. id .. "?purpose=administration", { ["Authorization"] = auth })
end

done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f  p50: %.2f ms  p99: %.2f ms  max: %.2f ms  errors(non-2xx): %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status))
end
