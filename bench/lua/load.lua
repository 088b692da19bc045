-- wrk script of the Manabi benchmark (bench/wrk.py runs it).
--
--   wrk ... -s bench/lua/load.lua URL -- ROWS METHOD PATH BODY NONCE AUTH
--
-- ROWS   file of "token<TAB>id" lines; each request takes the next row (threads start apart)
-- PATH   path template; "{id}" is replaced by the row's id
-- BODY   file holding the body template, or "-" for none; "{id}" and "{event_id}" are replaced,
--        "{event_id}" by a UUID unique across the run (NONCE, thread number, request counter)
-- NONCE  8 hex digits, different for every wrk invocation
-- AUTH   "1" sends "Authorization: Bearer <token>", "0" sends none
--
-- done() prints one line "BENCH_RESULT {json}" (latencies in microseconds); "errors_status"
-- counts responses with a status >= 400, as wrk does.

local threads_started = 0

function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_number", threads_started)
end

local rows = {}
local prebuilt = nil
local method, path_template, body_template, nonce, use_auth
local index = 0
local counter = 0

local function headers_for(row)
  local headers = { Host = wrk.headers["Host"], ["Accept-Language"] = "ja" }
  if use_auth then
    headers["Authorization"] = "Bearer " .. row.token
  end
  if body_template then
    headers["Content-Type"] = "application/json"
  end
  return headers
end

local function path_for(row)
  return (path_template:gsub("{id}", row.id))
end

local function event_id()
  counter = counter + 1
  return string.format("%s-%04x-4000-8000-%012x", nonce, thread_number or 0, counter)
end

function init(args)
  local rows_file = args[1]
  method, path_template, nonce = args[2], args[3], args[5]
  use_auth = args[6] == "1"
  if args[4] ~= "-" then
    local file = assert(io.open(args[4], "r"))
    body_template = file:read("*a")
    file:close()
  end
  for line in io.lines(rows_file) do
    local token, id = line:match("^(%S+)\t(%S+)")
    if token then
      rows[#rows + 1] = { token = token, id = id }
    end
  end
  assert(#rows > 0, "no rows in " .. rows_file)
  index = ((thread_number or 1) - 1) * math.floor(#rows / 2)
  if not body_template then
    -- Requests without a per-request body are built once: the load loop only picks one.
    prebuilt = {}
    for i, row in ipairs(rows) do
      prebuilt[i] = wrk.format(method, path_for(row), headers_for(row))
    end
  end
end

function request()
  index = index % #rows + 1
  if prebuilt then
    return prebuilt[index]
  end
  local row = rows[index]
  local body = body_template:gsub("{id}", row.id):gsub("{event_id}", event_id())
  return wrk.format(method, path_for(row), headers_for(row), body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %.0f, '
      .. '"p90_us": %.0f, "p99_us": %.0f, "max_us": %.0f, "mean_us": %.1f, '
      .. '"errors_connect": %d, "errors_read": %d, "errors_write": %d, '
      .. '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, errors.connect, errors.read, errors.write, errors.status, errors.timeout
  ))
end
