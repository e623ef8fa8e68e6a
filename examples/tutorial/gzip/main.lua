-- Tutorial §6.6 (shown as a picture; as the official demo/http does): a gzip answer inflated with
-- miniz after skipping the 10-byte gzip header, then decoded as JSON.
PROJECT = "tutorial_http_gzip"
VERSION = "1.0.0"
_G.sys = require("sys")
_G.sysplus = require("sysplus")

sys.taskInit(function()
    sys.waitUntil("IP_READY", 30000)
    sys.publish("net_ready")
end)

sys.taskInit(function()
    sys.waitUntil("net_ready")
    local code, headers, body = http.request("GET",
        "https://devapi.qweather.com/v7/weather/now?location=101010100&key=0123456789abcdef").wait()
    if code == 200 and miniz then
        local plain = miniz.uncompress(body:sub(11), 0)
        local weather = plain and json.decode(plain)
        if weather and weather.now then
            log.info("http.gzip", code, weather.now.text, weather.now.temp)
            return
        end
        log.error("http.gzip", "could not inflate or decode", #body)
        return
    end
    if not miniz then
        log.error("http.gzip", "miniz is not in this firmware (a non-_FULL build)")
    else
        log.info("http.gzip", code)
    end
end)

sys.run()
