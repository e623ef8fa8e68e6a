-- provision QA script for Air780E (EC618, LuatOS V1112).
-- Built per board by `provision` into a LuaDB image together with a generated qa_config.lua
-- (session URL, nonce, key, plan). Uses only the V1112 API: sys, sysplus, http, json, crypto,
-- io, mobile, rtos, mcu, uart, miniz (when the build has it), socket.adapter (when present), log.
-- Numbers on the board are 32-bit: hashes are compared as hex strings, never as numbers.
PROJECT = "provision_qa"
VERSION = "1.0.0"

local sys = require("sys")
require("sysplus")
local cfg = require("qa_config")

local REPORT_SEQ = 1

-- Codes for a check that got no HTTP status, beside the firmware's own negative http.request
-- codes; mirrored in Sources/QA/QAVerdict.swift (QAScriptCode).
local CODE_SCRIPT_ERROR = -100
local CODE_UNAVAILABLE = -101

-- Modules a check needs that a firmware build may lack: miniz is #undef'd in the non-_FULL V1112
-- build (luatos-soc-2022 project/luatos/inc/luat_conf_bsp.h). Mirrored in QACheck.optionalModule.
local NEEDS = { gzip = "miniz", download = "io" }

-- Longest error text carried in a report or an x.6 line.
local DETAIL_MAX = 200

-- One JSON line per event on the user virtual UART (USB interface 6).
local function emit(t)
    t.sid = cfg.sid
    uart.write(uart.VUART_0, json.encode(t) .. "\n")
end

local function now()
    return mcu.ticks()
end

local function elapsed(t0)
    -- mcu.hz() is the tick rate; deltas stay small, so the 32-bit product cannot overflow.
    return (now() - t0) * 1000 // mcu.hz()
end

-- Content derived from the nonce; the server derives the same bytes.
local function content(label, n)
    local parts, len, i = {}, 0, 1
    while len < n do
        local b = crypto.sha256(cfg.nonce .. ":" .. label .. ":" .. i)
        parts[#parts + 1] = b
        len = len + #b
        i = i + 1
    end
    return table.concat(parts):sub(1, n)
end

-- SHA-256 of content(label, n) without holding it all: the download can be larger than the
-- Lua heap comfortably takes.
local function content_sha256(label, n)
    if not crypto.hash_init then return crypto.sha256(content(label, n)) end
    local stream = crypto.hash_init("SHA256")
    local len, i = 0, 1
    while len < n do
        local b = crypto.sha256(cfg.nonce .. ":" .. label .. ":" .. i)
        if len + #b > n then b = b:sub(1, n - len) end
        crypto.hash_update(stream, b)
        len = len + #b
        i = i + 1
    end
    return crypto.hash_finish(stream)
end

local function same(a, b)
    return type(a) == "string" and type(b) == "string" and a:upper() == b:upper()
end

-- A GET the firmware resumed with Range after a drop reports its last answer's status, 206
-- (luat_http_client.c); the server checks that it really served every byte.
local function fetched(code)
    return code == 200 or code == 206
end

local function request(method, url, headers, body, opts)
    opts = opts or {}
    opts.timeout = cfg.check_timeout_ms
    return http.request(method, url, headers, body, opts, cfg.ca).wait()
end

-- A request to one of this board's QA session endpoints, signed with the session key. Anyone who
-- knows the session id (it is in the URL) can send requests to the server; only signed ones are
-- evidence, so a stranger can neither fail this board nor pass for it. The server rebuilds the
-- same path from its route, so a tunnel in front of it (another public URL) changes nothing.
-- Range is not signed: the firmware adds it itself when it resumes a download, reusing these
-- headers. Mirrored in Sources/QA/QASession.swift (QASignature.request).
local function session_request(method, endpoint, headers, body, opts, base)
    headers = headers or {}
    local path = "/qa/" .. cfg.sid .. "/" .. endpoint
    headers["X-QA-Signature"] = crypto.hmac_sha256(method .. path .. crypto.sha256(body or ""), cfg.key)
    return request(method, (base or cfg.url) .. "/" .. endpoint, headers, body, opts)
end

------------------------------------------------------------------ checks
-- Each returns code, ok, hash, detail.
local checks = {}

function checks.get()
    local code, _, body = session_request("GET", "get")
    if not fetched(code) then return code, false end
    local hash = crypto.sha256(body)
    return code, same(hash, crypto.sha256(content("get", cfg.get_bytes))), hash
end

function checks.https()
    if not cfg.https_url then return -1, false, nil, "no https URL in the plan" end
    local code, _, body = session_request("GET", "https", nil, nil, nil, cfg.https_url)
    if not fetched(code) then return code, false end
    local hash = crypto.sha256(body)
    return code, same(hash, crypto.sha256(content("get", cfg.get_bytes))), hash
end

function checks.form_post()
    local token = crypto.sha256(cfg.nonce .. ":form:1")
    local body = "imei=" .. string.urlEncode(mobile.imei() or "") .. "&token=" .. token ..
        "&text=" .. string.urlEncode(cfg.form_text)
    local code, _, resp = session_request("POST", "form",
        { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
    if code ~= 200 then return code, false end
    local echo = json.decode(resp)
    local ok = type(echo) == "table" and type(echo.form) == "table" and echo.form.token == token
        and echo.form.text == cfg.form_text
    return code, ok, crypto.sha256(body)
end

function checks.multipart_upload()
    local data = content("up", cfg.upload_bytes)
    local boundary = "----provisionQA" .. cfg.sid
    local body = "--" .. boundary .. "\r\n" ..
        "Content-Disposition: form-data; name=\"file\"; filename=\"qa_" .. cfg.sid .. ".bin\"\r\n" ..
        "Content-Type: application/octet-stream\r\n\r\n" .. data .. "\r\n" ..
        "--" .. boundary .. "--\r\n"
    local code, _, resp = session_request("POST", "upload",
        { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, body)
    if code ~= 200 then return code, false end
    local hash = crypto.sha256(data)
    local echo = json.decode(resp)
    return code, type(echo) == "table" and same(echo.sha256, hash), hash
end

function checks.download()
    local path = "/qa_download.bin"
    os.remove(path)
    local code, _, size = session_request("GET", "download", nil, nil, { dst = path })
    if not fetched(code) then return code, false end
    local hash = crypto.md_file("SHA256", path)
    local ok = size == cfg.download_bytes and same(hash, content_sha256("dl", cfg.download_bytes))
    os.remove(path)
    return code, ok, hash, "size " .. tostring(size)
end

function checks.json_roundtrip()
    local sent = { sid = cfg.sid, token = content("json", 64), n = 123456, list = { 1, 2, 3 }, text = cfg.json_text }
    local code, _, resp = session_request("POST", "json", { ["Content-Type"] = "application/json" },
        json.encode(sent))
    if code ~= 200 then return code, false end
    local back = json.decode(resp)
    local ok = type(back) == "table" and type(back.echo) == "table" and back.echo.token == sent.token
        and back.echo.n == 123456 and back.echo.text == cfg.json_text and back.server == content("json-srv", 64)
    return code, ok, crypto.sha256(resp)
end

function checks.gzip()
    local code, headers, body = session_request("GET", "gzip")
    if not fetched(code) then return code, false end
    -- As the tutorial's weather demo does: skip the 10-byte gzip header, inflate raw deflate.
    local plain = miniz.uncompress(body:sub(11), 0)
    if not plain then return code, false, nil, "miniz.uncompress failed" end
    local hash = crypto.sha256(plain)
    return code, same(hash, crypto.sha256(content("gzip", cfg.gzip_bytes))), hash
end

------------------------------------------------------------------ running checks safely
-- sys.lua turns an error escaping a task into a reboot 15 s later, and main.lua runs again
-- (openLuat/LuatOS script/corelib/sys.lua, luat/modules/luat_main.c): an error here would
-- reboot-loop the board. So every check runs under pcall and an error is a failed check.
local function short(text)
    text = tostring(text)
    if #text > DETAIL_MAX then text = text:sub(1, DETAIL_MAX) end
    return text
end

-- Returns code, ok, hash, detail, unavailable.
local function run_check(name)
    local module = NEEDS[name]
    if module and _G[module] == nil then
        return CODE_UNAVAILABLE, false, nil, "unavailable on this firmware: " .. module, true
    end
    local fn = checks[name]
    if not fn then return -1, false, nil, "unknown check" end
    local fine, code, ok, hash, detail = pcall(fn)
    if not fine then
        log.error("qa." .. name, "script error", code)
        return CODE_SCRIPT_ERROR, false, nil, short(code)
    end
    local n = math.tointeger(code)
    if not n then
        return CODE_SCRIPT_ERROR, false, nil, "check returned code " .. tostring(code)
    end
    return n, ok, hash, detail and short(detail) or nil
end

-- Calls f, giving nil instead of an error.
local function safe(f, ...)
    if type(f) ~= "function" then return nil end
    local fine, value = pcall(f, ...)
    if fine then return value end
    return nil
end

-- Whether a network adapter is already up. IP_READY is published once; a task that subscribes
-- after it fired would wait its whole budget, so ask socket.adapter() first
-- (components/network/adapter/luat_lib_socket.c: true when an adapter is IP READY). Guarded
-- (and under pcall) for firmware or simulators without it.
local function adapter_ready()
    if not (socket and socket.adapter) then return false end
    local fine, ready = pcall(socket.adapter)
    return fine and ready == true
end

-- The RF calibration flags. mobile.ecnpicfg exists only in builds with LUAT_USE_MOBILE_ECNPICFG
-- (not the V1112 release): on others the rotable has no such member, so it is looked up, never
-- called blind. It returns whether calibration passed and a table of the NPI flags (rfCaliDone,
-- rfNSTDone), the ones AT+ECNPICFG? answers. Mirrored in Sources/QA/QAEvidence.swift (QARFCalibration).
local function rf_calibration()
    if not (mobile and mobile.ecnpicfg) then return "absent" end
    local fine, passed, status = pcall(mobile.ecnpicfg)
    if not fine then return { error = short(passed) } end
    if type(status) ~= "table" then status = {} end
    return { passed = passed == true, rfCaliDone = math.tointeger(status.rfCaliDone),
        rfNSTDone = math.tointeger(status.rfNSTDone) }
end

------------------------------------------------------------------ main task
local function qa_task()
    uart.setup(uart.VUART_0, 115200, 8, 1)
    emit({ ev = "boot", fw = safe(rtos.version), bsp = safe(rtos.bsp) })
    local t0 = now()
    local attached = adapter_ready() or sys.waitUntil("IP_READY", cfg.attach_budget_ms)
    local attach_ms = elapsed(t0)
    emit({ ev = "attach", ok = attached and true or false, ms = attach_ms })
    if not attached then
        log.error("qa", "no network attach within", cfg.attach_budget_ms, "ms")
        emit({ ev = "done", pass = false })
        return
    end

    local results, all_ok, download_hash = {}, true, nil
    for _, name in ipairs(cfg.checks) do
        local started = now()
        local code, ok, hash, detail, unavailable = run_check(name)
        local ms = elapsed(started)
        ok = ok and true or false
        -- The plan says whether a check this firmware cannot run fails the board.
        if not (unavailable and cfg.unavailable_checks == "skip") then all_ok = all_ok and ok end
        if name == "download" then download_hash = hash end
        results[#results + 1] = { name = name, code = code, ms = ms, ok = ok, hash = hash, detail = detail,
            unavailable = unavailable }
        emit({ ev = "check", name = name, code = code, ms = ms, ok = ok, hash = hash, detail = detail,
            unavailable = unavailable })
        log.info("qa." .. name, code, ms, ok, detail)
        sys.wait(50)
    end
    for i, url in ipairs(cfg.extra_urls or {}) do
        local started = now()
        local fine, code = pcall(request, "GET", url)
        local detail = url
        if not fine then
            detail = short(code)
            code = CODE_SCRIPT_ERROR
        elseif not math.tointeger(code) then
            detail = "no status for " .. url
            code = CODE_SCRIPT_ERROR
        else
            code = math.tointeger(code)
        end
        local name = "extra_" .. i
        results[#results + 1] = { name = name, code = code, ms = elapsed(started), ok = code == 200, detail = detail }
        emit({ ev = "check", name = name, code = code, ms = elapsed(started), ok = code == 200, detail = detail })
        all_ok = all_ok and code == 200
    end

    -- Identity facts for the station's gates. mobile.imei()/iccid() give nil when unreadable (no
    -- SIM: no ICCID), mobile.csq() gives 0 when unknown, rtos.version() the BSP version ("V1112")
    -- (openLuat/LuatOS components/mobile/luat_lib_mobile.c, luat/modules/luat_lib_rtos.c); a nil
    -- value leaves its key out of the JSON.
    local report = {
        sid = cfg.sid, seq = REPORT_SEQ, imei = safe(mobile.imei), iccid = safe(mobile.iccid), csq = safe(mobile.csq),
        fw = safe(rtos.version), attach_ms = attach_ms, checks = results, download_sha256 = download_hash,
        rf_cal = rf_calibration(),
    }
    local body = json.encode(report)
    local signature = crypto.hmac_sha256(body, cfg.key)
    local headers = { ["Content-Type"] = "application/json", ["X-QA-Signature"] = signature }
    local fine, code = pcall(request, "POST", cfg.url .. "/report", headers, body)
    code = fine and math.tointeger(code) or nil
    if not code or code < 0 then
        -- One retry on a library error; if the first copy did arrive, the server refuses the
        -- second as a replay and keeps the first.
        sys.wait(500)
        fine, code = pcall(request, "POST", cfg.url .. "/report", headers, body)
        code = fine and math.tointeger(code) or CODE_SCRIPT_ERROR
    end
    emit({ ev = "report", code = code })
    emit({ ev = "done", pass = all_ok and code == 200 })
    log.info("qa", "done", all_ok and code == 200)
end

sys.taskInit(function()
    -- Last line of defence: whatever escapes (a broken report, a UART that will not open) is
    -- logged and reported as a failed run, never re-raised into sys.lua's reboot.
    local fine, err = pcall(qa_task)
    if not fine then
        log.error("qa", "script error", err)
        pcall(emit, { ev = "done", pass = false, detail = short(err) })
    end
end)

sys.run()
