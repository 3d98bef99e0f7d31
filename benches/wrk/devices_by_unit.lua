-- wrk script: device pages filtered by unit (with subtree), rotating over the units
-- listed one per line in the file STILLA_UNITS.
paths = {}
for line in io.lines(os.getenv("STILLA_UNITS")) do
  table.insert(paths, "/api/v1/devices?unit_id=" .. line .. "&limit=50")
end
dofile("benches/wrk/common.lua")
