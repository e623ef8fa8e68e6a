-- Tutorial §6.1: plain GET requests over https (no CA given: the firmware does not verify).
PROJECT = "tutorial_http_get"
VERSION = "1.0.0"
_G.sys = require("sys")
_G.sysplus = require("sysplus")

-- As the official demo does: announce the network once IP_READY came (or 30 s passed).
sys.taskInit(function()
    sys.waitUntil("IP_READY", 30000)
    sys.publish("net_ready")
end)

local function get_twice()
    local code, headers, body = http.request("GET", "https://www.air32.cn/").wait()
    log.info("http.get", code, body and #body)
    sys.wait(100)
    code, headers, body = http.request("GET", "https://www.luatos.com/").wait()
    log.info("http.get", code, body and #body)
end

sys.taskInit(function()
    sys.wait(100)
    if crypto.cipher_suites then
        log.info("cipher", "suites", #crypto.cipher_suites())
    end
    sys.waitUntil("net_ready")
    get_twice()
    log.info("sys", rtos.meminfo("sys"))
    log.info("lua", rtos.meminfo("lua"))
end)

sys.run()
