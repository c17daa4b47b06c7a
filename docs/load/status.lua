-- POST /items/{customer}/{reference}/status over a list of existing items,
-- alternating dispute and promise (with a date).
local items = {}
local i = 0
function init(args)
  for line in io.lines(os.getenv("ITEMS") or "items.txt") do
    items[#items + 1] = line
  end
end
request = function()
  i = i + 1
  local item = items[(i % #items) + 1]
  local body
  if i % 2 == 0 then
    body = '{"status":"dispute","comment":"load test"}'
  else
    body = '{"status":"promise","promise_date":"2026-12-15"}'
  end
  return wrk.format("POST", "/items/" .. item .. "/status",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
