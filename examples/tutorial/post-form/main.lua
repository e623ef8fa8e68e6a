-- Tutorial §6.2: a form POST, each value url-encoded with string:urlEncode().
PROJECT = "tutorial_http_post_form"
VERSION = "1.0.0"
_G.sys = require("sys")
_G.sysplus = require("sysplus")

sys.taskInit(function()
    sys.waitUntil("IP_READY", 30000)
    sys.publish("net_ready")
end)

local function post_form()
    local fields = { ABC = "123", DEF = 345, NOTE = "a b~c" }
    local body = ""
    for k, v in pairs(fields) do
        body = body .. tostring(k) .. "=" .. tostring(v):urlEncode() .. "&"
    end
    local code, headers, answer = http.request("POST", "http://httpbin.air32.cn/post",
        { ["Content-Type"] = "application/x-www-form-urlencoded" }, body).wait()
    log.info("http.post.form", code, answer)
end

sys.taskInit(function()
    sys.waitUntil("net_ready")
    post_form()
end)

sys.run()
