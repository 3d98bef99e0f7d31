-- wrk script: device pages filtered by unit (with subtree), rotating over the units
-- listed one per line in the file STILLA_UNITS. STILLA_TOKEN holds an admin token.
local token = os.getenv("STILLA_TOKEN")
local paths = {}
for line in io.lines(os.getenv("STILLA_UNITS")) do
  table.insert(paths, "/api/v1/devices?unit_id=" .. line .. "&limit=50")
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Authorization"] = "Bearer " .. token })
end
response = function(status)
  if status ~= 200 then
    error("unexpected status " .. status)
  end
end
