-- Load test, the readers: wrk -s reads.lua URL -- TARGETS_TXT [MISS_PERCENT]
--
-- Each request goes to the next organization in turn (its own token, its own dataset), with a
-- mix of analytics reads:
--   cached (the same few questions again and again, answered from the answer cache after the
--   first time):  /summary; /timeseries for each measure at month, quarter, year; /groups for
--   each dimension (measure revenue, default limit)
--   uncached (MISS_PERCENT of requests, 30 by default): the answer cache is keyed on tenant,
--   dataset, version, kind, the sorted query string and the format (src/analytics/
--   analytics_service.cpp AnswerKey), so a question with a fresh parameter misses:
--   /timeseries with a random from= day (2019..2024) and interval day|week|month, /groups with a
--   random limit (1..100) and agg. 50 orgs x ~2 200 days x 3 intervals x measures and 50 x 100 x
--   5 aggs x dimensions: almost every one of these is computed, not cached, during 60 s.
-- response() counts statuses by class; done() prints them as "status <class> <count>" lines and
-- the first few non-2xx bodies.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local orgs, dims, measures, timecol = {}, {}, {}, "order_date"
local miss_percent = 30
local n = 0
-- Globals, not locals: done() reads them from each thread with thread:get.
s2, s3, s4, s5, other = 0, 0, 0, 0, 0
samples = {}

local function split(s)
  local t = {}
  for w in string.gmatch(s, "[^,]+") do table.insert(t, w) end
  return t
end

function init(args)
  local path = args[1]
  if args[2] then miss_percent = tonumber(args[2]) end
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    local kind, a, b = string.match(line, "^(%S+)%s+(%S+)%s*(%S*)$")
    if kind == "org" then table.insert(orgs, {auth = "Bearer " .. a, id = b})
    elseif kind == "dims" then dims = split(a)
    elseif kind == "measures" then measures = split(a)
    elseif kind == "time" then timecol = a end
  end
  f:close()
  math.randomseed(id * 7919 + os.time())
  n = id * 17  -- threads start on different organizations
end

local cached_intervals = {"month", "quarter", "year"}
local miss_intervals = {"day", "week", "month"}
local aggs = {"sum", "avg", "min", "max", "count"}

local function pick(t) return t[math.random(#t)] end

function request()
  n = n + 1
  local o = orgs[(n % #orgs) + 1]
  local base = "/api/v1/datasets/" .. o.id
  local path
  if math.random(100) <= miss_percent then
    if math.random(2) == 1 then
      path = string.format("%s/timeseries?measure=%s&interval=%s&from=%04d-%02d-%02d", base, pick(measures),
                           pick(miss_intervals), math.random(2019, 2024), math.random(12), math.random(28))
    else
      path = string.format("%s/groups?dimension=%s&measure=%s&agg=%s&limit=%d", base, pick(dims), pick(measures),
                           pick(aggs), math.random(100))
    end
  else
    local r = math.random(3)
    if r == 1 then
      path = base .. "/summary"
    elseif r == 2 then
      path = string.format("%s/timeseries?measure=%s&interval=%s", base, pick(measures), pick(cached_intervals))
    else
      path = string.format("%s/groups?dimension=%s&measure=revenue", base, pick(dims))
    end
  end
  return wrk.format("GET", path, {["Authorization"] = o.auth})
end

function response(status, headers, body)
  if status < 300 then s2 = s2 + 1
  elseif status < 400 then s3 = s3 + 1
  elseif status < 500 then s4 = s4 + 1
  elseif status < 600 then s5 = s5 + 1
  else other = other + 1 end
  if status >= 400 and #samples < 5 then
    table.insert(samples, status .. " " .. string.sub(body or "", 1, 200))
  end
end

function done(summary, latency, requests)
  local t = {s2 = 0, s3 = 0, s4 = 0, s5 = 0, other = 0}
  local bodies = {}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
    local s = thread:get("samples")
    if s then for _, b in ipairs(s) do if #bodies < 8 then table.insert(bodies, b) end end end
  end
  io.write(string.format("status 2xx %d\nstatus 3xx %d\nstatus 4xx %d\nstatus 5xx %d\nstatus other %d\n",
                         t.s2, t.s3, t.s4, t.s5, t.other))
  for _, b in ipairs(bodies) do io.write("error-body " .. string.gsub(b, "\n", " ") .. "\n") end
  io.write(string.format("latency-us p50 %d p90 %d p99 %d p999 %d max %d\n", latency:percentile(50),
                         latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
  local e = summary.errors
  io.write(string.format("socket-errors connect %d read %d write %d status %d timeout %d\n", e.connect, e.read,
                         e.write, e.status, e.timeout))
  io.write(string.format("totals requests %d duration-us %d\n", summary.requests, summary.duration))
end
