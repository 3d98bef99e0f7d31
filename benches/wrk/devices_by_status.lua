-- wrk script: filtered device pages (status and kind), rotating over every combination.
-- STILLA_TOKEN holds an admin token.
local token = os.getenv("STILLA_TOKEN")
local paths = {}
for _, status in ipairs({ "in_stock", "assigned", "in_repair", "retired" }) do
  for _, kind in ipairs({ "phone", "tablet" }) do
    table.insert(paths, "/api/v1/devices?status=" .. status .. "&kind=" .. kind .. "&limit=50")
  end
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
