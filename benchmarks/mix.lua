-- wrk script: each request is the next query of a mix, sent as GET /sparql?query=...
-- Set MIX_DIR (folder of .rq files) and MIX (comma-separated file stems) in the environment.
local dir = os.getenv("MIX_DIR")
local names = os.getenv("MIX")
local paths = {}
local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
for name in string.gmatch(names, "[^,]+") do
  local f = assert(io.open(dir .. "/" .. name .. ".rq", "r"))
  local q = f:read("*a")
  f:close()
  local accept = q:find("CONSTRUCT") and "application/n-triples" or "application/sparql-results+json"
  table.insert(paths, {"/" .. (os.getenv("ENDPOINT_PATH") or "sparql") .. "?query=" .. urlencode(q), accept})
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i][1], {["Accept"] = paths[i][2]})
end
