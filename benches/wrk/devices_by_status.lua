-- wrk script: filtered device pages (status and kind), rotating over every combination.
paths = {}
for _, status in ipairs({ "in_stock", "assigned", "in_repair", "retired" }) do
  for _, kind in ipairs({ "phone", "tablet" }) do
    table.insert(paths, "/api/v1/devices?status=" .. status .. "&kind=" .. kind .. "&limit=50")
  end
end
dofile("benches/wrk/common.lua")
