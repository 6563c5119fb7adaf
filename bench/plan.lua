-- Replays a request plan written by bench/run.py, one request per line:
--   METHOD <tab> PATH <tab> Header: value|Header: value <tab> JSON body (may be empty)
-- Thread t of T sends lines t, t+T, t+2T, ... so no two requests share a line
-- (each line is a different resident). Past the end it wraps and counts it.
-- Usage: wrk -t T -c C -d Ds -s bench/plan.lua URL -- PLAN_FILE T
-- done() prints one line "BENCH_JSON {...}" that bench/run.py parses.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local reqs = {}
local idx, step, n = 0, 1, 0
statuses = {}
codes = {}
wrapped = 0

function init(args)
   local file, nthreads = args[1], tonumber(args[2])
   for line in io.lines(file) do
      local method, path, hdr, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      if method then
         local headers = {}
         for name, value in hdr:gmatch("([^|:]+): ([^|]*)") do
            headers[name] = value
         end
         if body == "" then
            body = nil
         else
            headers["Content-Type"] = "application/json"
         end
         reqs[#reqs + 1] = wrk.format(method, path, headers, body)
      end
   end
   n = #reqs
   idx = tid
   step = nthreads
end

function request()
   if idx >= n then
      wrapped = wrapped + 1
   end
   local r = reqs[(idx % n) + 1]
   idx = idx + step
   return r
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 400 and body then
      local code = body:match('"code"%s*:%s*"([%w_]+)"')
      if code == nil then
         code = "http_" .. status
      end
      codes[code] = (codes[code] or 0) + 1
   end
end

local function merge(into, from)
   for k, v in pairs(from or {}) do
      into[tostring(k)] = (into[tostring(k)] or 0) + v
   end
end

local function json_counts(t)
   local parts = {}
   for k, v in pairs(t) do
      parts[#parts + 1] = string.format('"%s":%d', k, v)
   end
   return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
   local st, cd, wr = {}, {}, 0
   for _, t in ipairs(threads) do
      merge(st, t:get("statuses"))
      merge(cd, t:get("codes"))
      wr = wr + (t:get("wrapped") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"statuses":%s,"codes":%s,"wrapped":%d,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
      summary.requests, summary.duration, summary.bytes, json_counts(st), json_counts(cd), wr,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
      latency.max, latency.mean))
end
