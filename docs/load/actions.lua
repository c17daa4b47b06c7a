-- GET /actions pages: first pages, filtered by state, and by account.
local i = 0
request = function()
  i = i + 1
  local path
  if i % 3 == 0 then
    path = "/actions?state=queued&limit=100"
  elseif i % 3 == 1 then
    path = "/actions?limit=100&after=" .. ((i * 37) % 50000)
  else
    path = string.format("/actions?account=C%06d", (i * 7919) % 100000 + 1)
  end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. os.getenv("TOKEN")})
end
