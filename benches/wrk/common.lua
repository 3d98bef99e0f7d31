-- Shared by the scenario scripts, which fill the global `paths` and then load this file
-- (run wrk from the repository's root). STILLA_TOKENS names a file of admin tokens, one a
-- line: requests take them in turn, so that 64 clients are 64 callers, each within its
-- own request budget ([limits] token_requests_per_second), as 64 people would be.
--
-- STILLA_PAUSE_MS > 0: each client waits that long after a response before its next
-- request (a user's or an integration's think time). Unset or 0: back to back, the
-- closed loop issue 2's target is measured with.
local tokens = {}
for line in io.lines(os.getenv("STILLA_TOKENS")) do
  tokens[#tokens + 1] = line
end
local pause = tonumber(os.getenv("STILLA_PAUSE_MS") or "0")
local i = 0
request = function()
  i = i + 1
  local token = tokens[(i % #tokens) + 1]
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
