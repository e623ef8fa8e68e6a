-- Tutorial §6.3: multipart/form-data uploads, once built by hand and once from a file in /luadb.
PROJECT = "tutorial_http_upload"
VERSION = "1.0.0"
_G.sys = require("sys")
_G.sysplus = require("sysplus")

local URL = "http://airtest.openluat.com:2900/uploadFileToStatic"

sys.taskInit(function()
    sys.waitUntil("IP_READY", 30000)
    sys.publish("net_ready")
end)

local function upload_text()
    local boundary = "----WebKitFormBoundary" .. os.time()
    local body = "--" .. boundary .. "\r\n" ..
        "Content-Disposition: form-data; name=\"uploadFile\"; filename=\"luatos_uploadFile_TEST01.txt\"\r\n" ..
        "Content-Type: text/plain\r\n\r\n" ..
        "1111http_测试一二三四654zacc\r\n" ..
        "--" .. boundary .. "--\r\n"
    local code, headers, answer = http.request("POST", URL,
        { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, body).wait()
    log.info("http.post", code, answer)
end

local function upload_file(path)
    local boundary = "----WebKitFormBoundary" .. os.time()
    local name = path:match("[^/]+$")
    local parts = {
        "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"uploadFile\"; filename=\"" .. name ..
            "\"\r\nContent-Type: text/plain\r\n\r\n",
        io.readFile(path),
        "\r\n--" .. boundary .. "--\r\n",
    }
    local code, headers, answer = http.request("POST", URL,
        { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, table.concat(parts)).wait()
    log.info("http.post", code, answer)
end

sys.taskInit(function()
    sys.waitUntil("net_ready")
    upload_text()
    sys.wait(100)
    upload_file("/luadb/luatos_uploadFile.txt")
end)

sys.run()
