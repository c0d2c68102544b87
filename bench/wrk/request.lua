-- One endpoint for wrk: BENCH_METHOD, BENCH_PATH, BENCH_TOKEN, BENCH_SESSION, BENCH_CLOSE,
-- and for payment POSTs BENCH_IDS_FILE (one invoice id a line, picked at random) and
-- BENCH_IDEMPOTENCY=1 to send a new Idempotency-Key with each request (a first request each
-- time: the key's claim and its completion, never a replay); for visit completions
-- BENCH_VISITS_FILE ("visit_id pool_id" a line), BENCH_ITEMS_FILE (stocked item ids) and
-- BENCH_OFFSET: each request completes the next visit not yet used (wrk's threads take turns
-- by their number), with five distinct items picked at random.
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH")
local ids = {}
local ids_file = os.getenv("BENCH_IDS_FILE")
local keyed = os.getenv("BENCH_IDEMPOTENCY") == "1"
local key_prefix = ""
sent = 0  -- global: done() reads each thread's count
local visits, items = {}, {}
local visits_file, items_file = os.getenv("BENCH_VISITS_FILE"), os.getenv("BENCH_ITEMS_FILE")
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  threads[#threads + 1] = thread
end

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
  if visits_file then
    for line in io.lines(visits_file) do visits[#visits + 1] = line end
    for line in io.lines(items_file) do items[#items + 1] = line end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  -- wrk runs one Lua state per thread: a random prefix keeps the threads' keys apart.
  key_prefix = string.format("bench-%08x%08x-", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
end

local function completion()
  -- wrk runs -t2: thread 0 takes the even turns, thread 1 the odd ones.
  local visit, pool = visits[offset + 1 + thread_number + 2 * sent]:match("(%d+) (%d+)")
  sent = sent + 1
  local picked, lines = {}, {}
  while #lines < 5 do
    local item = items[math.random(#items)]
    if not picked[item] then
      picked[item] = true
      lines[#lines + 1] = '{"item_id": ' .. item .. ', "quantity": "1.5", "pool_id": ' .. pool .. '}'
    end
  end
  local body = '{"readings": [{"pool_id": ' .. pool .. ', "free_chlorine": 1.5, '
    .. '"combined_chlorine": 0.2, "ph": 7.8, "total_alkalinity": 70, "calcium_hardness": 250, '
    .. '"cyanuric_acid": 40, "salt": null, "temperature_f": 82, "tds": 900, "phosphates": null}], '
    .. '"lines": [' .. table.concat(lines, ", ") .. '], '
    .. '"checklist": [{"task": "Brush walls and steps", "done": true}], '
    .. '"customer_notes": "Filter cleaned.", "office_notes": null}'
  wrk.headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/visits/" .. visit .. "/complete", nil, body)
end

function request()
  if #visits > 0 then
    return completion()
  end
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
  -- The most requests one thread made: how far into the visits the run went.
  local most = 0
  for _, thread in ipairs(threads) do
    most = math.max(most, thread:get("sent") or 0)
  end
  io.stderr:write(string.format("BENCH_SENT %d\n", most))
  io.stderr:write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors_status": %d, "errors_connect": %d, "errors_read": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.timeout))
end
