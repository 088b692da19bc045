-- wrk script of the webhook intake benchmark (bench/webhook_intake.py runs it).
--
--   wrk ... -s bench/lua/webhook.lua URL -- BODIES
--
-- BODIES  file of signed SNS envelopes, one JSON document per line. Thread k of T sends lines
--         k, k+T, k+2T, … in order, so no message is sent twice until a thread runs out (it then
--         starts over: a duplicate, which the inbox must absorb). done() prints the usual
--         "BENCH_RESULT {json}" line plus how far the threads got ("wrapped" > 0: duplicates).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

local bodies = {}
local position = 0
local step = 1
local wrapped = 0
local sent = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  assert(#bodies > 0, "no bodies in " .. args[1])
  step = tonumber(args[2]) or 1
  position = (thread_number or 1) - step
end

function request()
  position = position + step
  if position > #bodies then
    position = (thread_number or 1)
    wrapped = wrapped + 1
  end
  sent = sent + 1
  local headers = {
    Host = wrk.headers["Host"],
    ["Content-Type"] = "text/plain; charset=UTF-8",
    ["x-amz-sns-message-type"] = "Notification",
  }
  return wrk.format("POST", "/api/v1/webhooks/amazon-pay", headers, bodies[position])
end

function done(summary, latency, requests)
  local errors = summary.errors
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %.0f, '
      .. '"p90_us": %.0f, "p99_us": %.0f, "max_us": %.0f, "mean_us": %.1f, '
      .. '"errors_connect": %d, "errors_read": %d, "errors_write": %d, '
      .. '"errors_status": %d, "errors_timeout": %d, "wrapped": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, errors.connect, errors.read, errors.write, errors.status, errors.timeout, wraps
  ))
end
