-- Replays pre-built requests from a file (one per line: METHOD<TAB>PATH<TAB>AUTH<TAB>IDEMPOTENCY-KEY<TAB>JSON-BODY),
-- for a fixed duration; thread k of n takes lines k, k+n, k+2n, ... and starts over only when its share
-- is used up (give more requests than the duration needs, so submissions are all distinct).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = os.getenv("WRK_REQUESTS")
  local n = tonumber(os.getenv("WRK_THREADS"))
  reqs = {}
  local i = 0
  for line in io.lines(file) do
    if i % n == id then
      local method, path, auth, key, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
      if key ~= "" then headers["Idempotency-Key"] = key end
      if body == "" then body = nil end
      table.insert(reqs, wrk.format(method, path, headers, body))
    end
    i = i + 1
  end
  pos = 0
  statuses = {}
end

function request()
  pos = pos % #reqs + 1
  return reqs[pos]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
