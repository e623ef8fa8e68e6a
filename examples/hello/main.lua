-- A minimal LuatOS application: what `provision` flashes as the production script in the
-- quick start. It only logs; the board's network is proven by the QA script, not by this app.
PROJECT = "hello"
VERSION = "1.0.0"

local sys = require("sys")

sys.taskInit(function()
    local count = 0
    while true do
        count = count + 1
        log.info("hello", "LuatOS app running", count)
        sys.wait(1000)
    end
end)

sys.run()
