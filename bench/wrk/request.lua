-- One endpoint for wrk: BENCH_METHOD, BENCH_PATH, BENCH_TOKEN, BENCH_SESSION, BENCH_CLOSE,
-- and for payment POSTs BENCH_IDS_FILE (one invoice id a line, picked at random) and
-- BENCH_IDEMPOTENCY=1 to send a new Idempotency-Key with each request (a first request each
-- time: the key's claim and its completion, never a replay).
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH")
local ids = {}
local ids_file = os.getenv("BENCH_IDS_FILE")
local keyed = os.getenv("BENCH_IDEMPOTENCY") == "1"
local key_prefix = ""
local sent = 0

wrk.method = method
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["X-Bench-Session"] = os.getenv("BENCH_SESSION")
if os.getenv("BENCH_CLOSE") == "1" then
  wrk.headers["Connection"] = "close"
end

function init(args)
  if ids_file then
    for line in io.lines(ids_file) do ids[#ids + 1] = line end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  -- wrk runs one Lua state per thread: a random prefix keeps the threads' keys apart.
  key_prefix = string.format("bench-%08x%08x-", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
end

function request()
  if #ids > 0 then
    local body = '{"invoice_id": ' .. ids[math.random(#ids)] .. ', "amount": "0.01", "method": "cash"}'
    wrk.headers["Content-Type"] = "application/json"
    if keyed then
      sent = sent + 1
      wrk.headers["Idempotency-Key"] = key_prefix .. sent
    end
    return wrk.format("POST", path, nil, body)
  end
  return wrk.format(method, path)
end

function done(summary, latency, requests)
  io.stderr:write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors_status": %d, "errors_connect": %d, "errors_read": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.timeout))
end
