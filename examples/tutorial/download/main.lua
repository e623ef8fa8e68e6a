-- Tutorial §6.4 (shown as a picture; as the official demo/http does): download into a file with
-- opts.dst, where .wait() gives the file's size instead of the body.
PROJECT = "tutorial_http_download"
VERSION = "1.0.0"
_G.sys = require("sys")
_G.sysplus = require("sysplus")

sys.taskInit(function()
    sys.waitUntil("IP_READY", 30000)
    sys.publish("net_ready")
end)

sys.taskInit(function()
    sys.waitUntil("net_ready")
    local code, headers, size = http.request("POST", "http://site0.cn/api/httptest/simple/date", {}, "",
        { dst = "/data.bin", timeout = 30000 }).wait()
    log.info("http.download", code, size, io.fileSize("/data.bin"), io.readFile("/data.bin"))
    local time_code, _, now = http.request("GET", "http://site0.cn/api/httptest/simple/time").wait()
    log.info("http.time", time_code, now)
end)

sys.run()
