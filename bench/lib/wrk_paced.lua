-- wrk at a fixed offered rate: each connection waits 10 ms after every response before its next
-- request, so <connections> x 100 requests/s are offered (less each response's own time; the
-- rate achieved is reported). Prints the same summary line as wrk_report.lua.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "wrk_report.lua")
delay = function()
  return 10
end
