-- wrk script: POST one body per request from a file (one body per line, each used once per
-- pass; threads take disjoint lines, so single-use tokens are never replayed by the load itself),
-- with Authorization header values from a second file (one per line, cycled; none when it is empty) and the content type
-- DANCU_CONTENT_TYPE (default application/json). A response counts as good only if
-- its status is 2xx and, when DANCU_EXPECT is set, its body contains that text. With
-- DANCU_IDEMPOTENCY_PREFIX set, every request carries a fresh `Idempotency-Key` (prefix, then the
-- request's number), as a client retrying safely would send.
-- `dancu bench verify --wrk` writes the files and runs it; by hand:
-- DANCU_BODIES=bodies.txt DANCU_AUTHORIZATIONS=auth.txt DANCU_PATH=/api/v1/verifications \
--   DANCU_EXPECT='"outcome":"green"' DANCU_THREADS=1 wrk -t1 -c32 -d10s -s bench/post.lua http://127.0.0.1:8080
local threads = {}

-- Each thread starts at its own index and steps by DANCU_THREADS (set it to wrk's -t; default 1):
-- wrk starts a thread right after its setup, so a thread cannot learn the total from setup.
function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads - 1)
end

function init(args)
  bodies, auths = {}, {}
  for line in io.lines(os.getenv("DANCU_BODIES")) do bodies[#bodies + 1] = line end
  for line in io.lines(os.getenv("DANCU_AUTHORIZATIONS")) do auths[#auths + 1] = line end
  path = os.getenv("DANCU_PATH")
  content_type = os.getenv("DANCU_CONTENT_TYPE") or "application/json"
  expect = os.getenv("DANCU_EXPECT")
  idempotency = os.getenv("DANCU_IDEMPOTENCY_PREFIX")
  stride = tonumber(os.getenv("DANCU_THREADS") or "1")
  n = index
  good, bad = 0, 0
end

function request()
  local body = bodies[n % #bodies + 1]
  local headers = { ["Content-Type"] = content_type }
  -- No Authorization file lines: requests that carry their own credential (signed messages).
  if #auths > 0 then headers["Authorization"] = auths[n % #auths + 1] end
  if idempotency then headers["Idempotency-Key"] = idempotency .. n end
  n = n + stride
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 and (not expect or string.find(body, expect, 1, true)) then
    good = good + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local g, b = 0, 0
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    b = b + t:get("bad")
  end
  io.write(string.format("wrk: good/s %.0f p50 %.2f ms p99 %.2f ms max %.2f ms good %d bad %d socket-errors %d\n",
    g / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, g, b,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
