-- Shared by the scenario scripts, which fill the global `paths` and then load this file
-- (run wrk from the repository's root). STILLA_TOKEN holds an admin token.
--
-- STILLA_PAUSE_MS > 0: each client waits that long after a response before its next
-- request (a user's or an integration's think time). Unset or 0: back to back, the
-- closed loop issue 2's target is measured with.
local token = os.getenv("STILLA_TOKEN")
local pause = tonumber(os.getenv("STILLA_PAUSE_MS") or "0")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Authorization"] = "Bearer " .. token })
end
if pause > 0 then
  delay = function()
    return pause
  end
end
response = function(status)
  if status ~= 200 then
    error("unexpected status " .. status)
  end
end
