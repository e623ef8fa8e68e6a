/// The Lua half of the LuatOS API shim, run once per boot before `main`. Written for this project
/// from the documented LuatOS behaviour (sys/sysplus semantics, `http.request(...).wait()`,
/// `log.*` record text of spec §5.3): scheduling, topics and argument checks live here, while the
/// primitives table `P` (Swift) does I/O, hashing, JSON and time.
///
/// The built-in modules follow the firmware's API manifest (`FirmwareAPIManifest`): a module or
/// member the firmware lacks is `nil`; one it has that the simulator does not model is a no-op
/// returning what a bare board returns, noted once per run as `W/sim not modelled: m.f`.
enum LuatOSPrelude {
    static let source = #"""
local P = ...
local unpack, pack = table.unpack, table.pack

-- Raised only for options of modelled functions that the simulator does not carry out
-- (e.g. an http.request body kind): never for an API the firmware lacks (that is nil) or has
-- (that is modelled, or a noted no-op).
local function unsupported(name)
    error("unsupported LuatOS API: " .. name .. " (not simulated by BoardSim)", 3)
end

-- The firmware's built-in modules, from the API manifest (FirmwareAPIManifest.swift) for the
-- board's build: MANIFEST[m] = { f = { name = true, ... }, c = { NAME = value, ... } }.
-- Built-in modules are rotables (luat/include/rotable2.h): a member the firmware lacks is nil.
local MANIFEST = P.manifest()
local declared = {}

-- Declares the shim's implementation of a firmware module. Members are checked against the
-- manifest when the prelude ends (finalize, below): members it lists that the shim does not model
-- become noted no-ops, members it does not list are removed, modules it does not list are nil.
local function strict(modname, t)
    t = t or {}
    declared[modname] = t
    return t
end

-- What an unmodelled member returns on a bare board (nothing = nil), by "module.member".
local BARE = {
    ["i2c.setup"] = function() return 1 end,                 -- luat/modules/luat_lib_i2c.c: 1 on success
    ["i2c.exist"] = function(id) return id == 0 or id == 1 end,
    ["spi.setup"] = function() return 0 end,                 -- luat/modules/luat_lib_spi.c: 0 on success
    ["pwm.open"] = function() return true end,               -- luat/modules/luat_lib_pwm.c: boolean
    ["pwm.setup"] = function() return true end,
    ["pwm.start"] = function() return true end,
    ["rtos.timer_start"] = function() return 1 end,          -- luat/modules/luat_lib_rtos.c: 1 ok
    ["rtos.receive"] = function() return -1 end,             -- luat_lib_rtos.c: -1 on timeout
    ["sms.autoLong"] = function() return true end,
    ["otp.read"] = function() return nil end,
}
local noted = {}
local function stub(key)
    return function(...)
        if not noted[key] then
            noted[key] = true
            P.log("W/sim not modelled: " .. key)
        end
        local bare = BARE[key]
        if bare then return bare(...) end
    end
end

---------------------------------------------------------------- log / print
-- luat/modules/luat_lib_log.c, luat/include/luat_log.h: DEBUG 1, INFO 2, WARN 3, ERROR 4,
-- SILENT (LUAT_LOG_CLOSE) 7; log.fatal logs at ERROR.
local LEVELS = { SILENT = 7, DEBUG = 1, INFO = 2, WARN = 3, ERROR = 4, FATAL = 4 }
local level = 1
local SEP = P.separator()
local function fmtargs(n, ...)
    local out = {}
    for i = 1, n do out[i] = tostring((select(i, ...))) end
    return table.concat(out, SEP)
end
local function logat(lv, letter)
    return function(tag, ...)
        if lv < level then return end
        local n = select("#", ...)
        local text = letter .. "/user." .. tostring(tag)
        if n > 0 then text = text .. SEP .. fmtargs(n, ...) end
        P.log(text)
    end
end
log = strict("log", {
    LOG_SILENT = 7, LOG_DEBUG = 1, LOG_INFO = 2, LOG_WARN = 3, LOG_ERROR = 4,
    debug = logat(1, "D"), info = logat(2, "I"), warn = logat(3, "W"), error = logat(4, "E"),
    fatal = logat(4, "E"),
    setLevel = function(l) level = type(l) == "string" and (LEVELS[l:upper()] or level) or tonumber(l) or level end,
    getLevel = function() return level end,
    style = function() return 0 end,
})
print = function(...) P.log(fmtargs(select("#", ...), ...)) end

---------------------------------------------------------------- sys
local TIMEOUT, MSG = {}, {}
local alive = {}          -- coroutine -> true while not dead
local subscribers = {}    -- topic -> { [fn or co] = true }
local queue = {}          -- published messages not yet dispatched
local timers = {}         -- id -> { fn, args, loop }
local nextTimer = 0

local function settle(co, ok, err)
    if not ok then
        P.task_error(tostring(err) .. "\n" .. debug.traceback(co))
    end
    if coroutine.status(co) == "dead" then alive[co] = nil end
end
local function resume(co, ...)
    if coroutine.status(co) ~= "suspended" then return end
    settle(co, coroutine.resume(co, ...))
end

local function startTimer(fn, ms, loop, args)
    ms = math.tointeger(ms) or math.floor(tonumber(ms) or 0)
    if ms < 1 then ms = 1 end
    nextTimer = nextTimer + 1
    timers[nextTimer] = { fn = fn, args = args or pack(), loop = loop and ms or nil }
    P.timer_start(nextTimer, ms)
    return nextTimer
end
local function stopTimer(id)
    if timers[id] then timers[id] = nil; P.timer_stop(id); return true end
    return false
end

local function subscribe(topic, who)
    subscribers[topic] = subscribers[topic] or {}
    subscribers[topic][who] = true
end
local function unsubscribe(topic, who)
    if subscribers[topic] then subscribers[topic][who] = nil end
end

local function waitFor(topic, ms)
    local co, ismain = coroutine.running()
    if ismain then error("sys.wait/sys.waitUntil must be called inside a task (sys.taskInit)", 3) end
    local tid
    if ms and tonumber(ms) and tonumber(ms) > 0 then
        tid = startTimer(function() resume(co, TIMEOUT) end, ms)
    end
    if topic then subscribe(topic, co) end
    local r = pack(coroutine.yield())
    if topic then unsubscribe(topic, co) end
    if tid then stopTimer(tid) end
    if r[1] == TIMEOUT then return false end
    if r[1] == MSG then return true, unpack(r, 2, r.n) end
    return nil
end

sys = {}                  -- sys.lua is a script library, not a rotable
function sys.taskInit(fn, ...)
    local co = coroutine.create(fn)
    alive[co] = true
    settle(co, coroutine.resume(co, ...))
    return co
end
function sys.wait(ms) waitFor(nil, ms or 0) end
function sys.waitUntil(topic, ms) return waitFor(topic, ms) end
function sys.waitUntilExt(topic, ms)
    local ok, a, b, c, d = waitFor(topic, ms)
    if ok then return topic, a, b, c, d end
    return false
end
function sys.publish(topic, ...) queue[#queue + 1] = pack(topic, ...) end
function sys.subscribe(topic, fn) if type(fn) == "function" then subscribe(topic, fn) end end
function sys.unsubscribe(topic, fn) unsubscribe(topic, fn) end
function sys.timerStart(fn, ms, ...) return startTimer(fn, ms, false, pack(...)) end
function sys.timerLoopStart(fn, ms, ...) return startTimer(fn, ms, true, pack(...)) end
function sys.timerStop(idOrFn)
    if type(idOrFn) == "number" then return stopTimer(idOrFn) end
    for id, t in pairs(timers) do if t.fn == idOrFn then stopTimer(id) end end
end
function sys.timerStopAll(fn) sys.timerStop(fn) end
function sys.timerIsActive(id) return timers[id] ~= nil end
function sys.run() end          -- the host drives the loop once main returns
function sys.restart(reason) P.reboot(tostring(reason)) end

-- Host entry points.
function sys.__dispatch()
    local guard = 0
    while #queue > 0 and guard < 100000 do
        guard = guard + 1
        local m = table.remove(queue, 1)
        local topic = m[1]
        local subs = subscribers[topic]
        if subs then
            local list = {}
            for who in pairs(subs) do list[#list + 1] = who end
            for _, who in ipairs(list) do
                if type(who) == "thread" then
                    resume(who, MSG, unpack(m, 2, m.n))
                else
                    -- A subscriber callback's error leaves sys.run() and ends the VM (sys.lua).
                    local ok, err = pcall(who, unpack(m, 2, m.n))
                    if not ok then P.vm_error(tostring(err)) return end
                end
            end
        end
    end
end
function sys.__timer(id)
    local t = timers[id]
    if not t then return end
    if t.loop then P.timer_start(id, t.loop) else timers[id] = nil end
    -- A timer callback's error leaves sys.run() and ends the VM (sys.lua).
    local ok, err = pcall(t.fn, unpack(t.args, 1, t.args.n))
    if not ok then P.vm_error(tostring(err)) end
end
function sys.__live()
    local n = 0
    for co in pairs(alive) do if coroutine.status(co) ~= "dead" then n = n + 1 else alive[co] = nil end end
    return n
end
package.loaded.sys = sys

---------------------------------------------------------------- sysplus
sysplus = {}
local mailboxes = {}
function sysplus.taskInitEx(fn, name, cb, ...)
    mailboxes[name] = mailboxes[name] or {}
    return sys.taskInit(fn, ...)
end
function sysplus.taskDel(name) mailboxes[name] = nil end
function sysplus.sendMsg(name, target, a, b, c)
    local box = mailboxes[name]
    if not box then return false end
    box[#box + 1] = { target, a, b, c }
    sys.publish("__MBOX_" .. name)
    return true
end
function sysplus.waitMsg(name, target, ms)
    local box = mailboxes[name]
    if not box then error("sysplus.waitMsg: no task named " .. tostring(name), 2) end
    while true do
        for i, m in ipairs(box) do
            if target == nil or m[1] == target then
                table.remove(box, i)
                return m
            end
        end
        if not sys.waitUntil("__MBOX_" .. name, ms) then return false end
    end
end
package.loaded.sysplus = sysplus
-- script/corelib/sys.lua carries sysplus' task mailbox functions too ("并入原本的sysplus").
sys.taskInitEx, sys.taskDel, sys.sendMsg, sys.waitMsg = sysplus.taskInitEx, sysplus.taskDel, sysplus.sendMsg, sysplus.waitMsg

---------------------------------------------------------------- http
http = strict("http", {})
local results = {}
function http.request(method, url, headers, body, opts, ca, client_ca, client_key, client_pwd)
    if type(method) ~= "string" then error("bad argument #1 to 'http.request' (string expected)", 2) end
    if type(url) ~= "string" then error("bad argument #2 to 'http.request' (string expected)", 2) end
    if headers ~= nil and type(headers) ~= "table" then error("bad argument #3 to 'http.request' (table expected)", 2) end
    if body ~= nil and type(body) ~= "string" then unsupported("http.request with a " .. type(body) .. " body (zbuff/file)") end
    if opts ~= nil and type(opts) ~= "table" then error("bad argument #5 to 'http.request' (table expected)", 2) end
    if client_ca or client_key then unsupported("http.request client certificates") end
    opts = opts or {}
    if opts.callback then unsupported("http.request opts.callback") end
    local id = P.http(method, url, headers or {}, body, math.tointeger(opts.timeout) or 600000, opts.dst, ca)
    local topic = "__HTTP_" .. id
    return { wait = function()
        while not results[id] do sys.waitUntil(topic) end
        local r = results[id]
        results[id] = nil
        return r[1], r[2], r[3]
    end }
end

-- Host entry: a request finished (code < 0 is a library error, spec'd in the tutorial's table).
function http.__result(id, code, hdrs, b)
    results[id] = { code, hdrs, b }
    sys.publish("__HTTP_" .. id)
end

---------------------------------------------------------------- json, crypto, miniz
-- components/lua-cjson/lua_cjson.c: encode(nil) is ""; floats "%.7f" unless a format such as
-- "12f" or "%.3g" is given; an error returns nil, message. decode returns value, 1 or
-- nil, false, message; JSON null decodes to json.null (a NULL light userdata).
json = strict("json", {
    encode = function(v, fmt)
        if v == nil then return "" end
        local text, err = P.json_encode(v, type(fmt) == "string" and fmt or nil)
        if text == nil then return nil, err end
        return text
    end,
    decode = function(...)
        local n, s = select("#", ...), ...
        if n ~= 1 then return nil, false, "bad argument #1 to 'decode' (expected 1 argument)" end
        if type(s) ~= "string" and type(s) ~= "number" then
            return nil, false, "bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")"
        end
        local v, err = P.json_decode(tostring(s))
        if err then return nil, false, err end
        return v, 1
    end,
    null = P.json_null(),
})
package.loaded.json = json

local function hasher(alg) return function(data) return P.hash(alg, tostring(data)) end end
local function hmac(alg) return function(data, key) return P.hash(alg, tostring(data), tostring(key)) end end
crypto = strict("crypto", {
    md5 = hasher("MD5"), sha1 = hasher("SHA1"), sha256 = hasher("SHA256"), sha512 = hasher("SHA512"),
    hmac_md5 = hmac("MD5"), hmac_sha1 = hmac("SHA1"), hmac_sha256 = hmac("SHA256"), hmac_sha512 = hmac("SHA512"),
    md = function(alg, data, key) return P.hash(alg, data, key) end,
    md_file = function(alg, path, key)
        local hp = P.path(path, "r")
        if not hp then return nil end
        return P.hash_file(alg, hp, key)
    end,
    base64_encode = function(s) return P.b64(s, true) end,
    base64_decode = function(s) return P.b64(s, false) end,
    trng = function(n) return P.trng(n) end,
    -- Streaming hash (a table stands in for the firmware's userdata stream).
    hash_init = function(alg, key) return { alg = alg, key = key, parts = {} } end,
    hash_update = function(stream, data) stream.parts[#stream.parts + 1] = tostring(data) end,
    hash_finish = function(stream) return P.hash(stream.alg, table.concat(stream.parts), stream.key) end,
    -- luat/modules/luat_lib_crypto.c: the names mbedTLS lists (mbedtls_ssl_list_ciphersuites,
    -- mbedtls_ssl_get_ciphersuite_name). Which suites the EC618 config enables is inferred from
    -- luatos-soc-2022 project/luatos/inc/mbedtls_ec618_config.h (ECDHE/RSA key exchange, AES GCM/CBC).
    cipher_suites = function()
        return {
            "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384", "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384",
            "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256", "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256",
            "TLS-ECDHE-ECDSA-WITH-AES-256-CBC-SHA384", "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA384",
            "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA256", "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA256",
            "TLS-ECDHE-ECDSA-WITH-AES-256-CBC-SHA", "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA",
            "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA", "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA",
            "TLS-RSA-WITH-AES-256-GCM-SHA384", "TLS-RSA-WITH-AES-128-GCM-SHA256",
            "TLS-RSA-WITH-AES-256-CBC-SHA256", "TLS-RSA-WITH-AES-128-CBC-SHA256",
            "TLS-RSA-WITH-AES-256-CBC-SHA", "TLS-RSA-WITH-AES-128-CBC-SHA",
        }
    end,
})

-- components/miniz/luat_lib_miniz.c: input over 32 KiB is refused ("only 32k data is allow");
-- the output buffer is TDEFL_OUT_BUF_SIZE = 31,948 bytes (miniz.h), so a larger result fails;
-- both return nil. Flags: uncompress parses a zlib header when bit 1 (PARSE_ZLIB_HEADER) is set
-- (the default), compress writes one with 0x1000 (WRITE_ZLIB_HEADER, the default).
local MINIZ_IN, MINIZ_OUT = 32 * 1024, 31948
miniz = strict("miniz", {
    uncompress = function(data, flags)
        if type(data) ~= "string" then error("bad argument #1 to 'uncompress' (string expected, got " .. type(data) .. ")", 2) end
        if #data > MINIZ_IN then P.log("E/miniz only 32k data is allow"); return nil end
        local out = P.inflate(data, ((flags or 1) & 1) ~= 0, MINIZ_OUT)
        if not out then P.log("W/miniz decompress fail") end
        return out
    end,
    compress = function(data, flags)
        if type(data) ~= "string" then error("bad argument #1 to 'compress' (string expected, got " .. type(data) .. ")", 2) end
        if #data > MINIZ_IN then P.log("E/miniz only 32k data is allow"); return nil end
        local out = P.deflate(data, ((flags or 0x1000) & 0x1000) ~= 0)
        if not out or #out > MINIZ_OUT then P.log("W/miniz compress fail ret=0"); return nil end
        return out
    end,
})

---------------------------------------------------------------- string extensions
-- lua/src/lstrlib_exts.c
function string.toHex(s, sep)
    sep = sep or ""
    local out = {}
    for i = 1, #s do out[i] = string.format("%02X", s:byte(i)) end
    local hex = table.concat(out, sep)
    return hex, #hex
end
function string.fromHex(s)
    return (s:gsub("[^%x]", ""):gsub("(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
-- lstrlib_exts.c l_str_urlEncode: mode 0 (default, "php"): alnum and ". - * _" kept, space → "+",
-- every other byte (including "~") "%XX"; mode 1 (RFC 3986): ". - _" kept, space "%20";
-- mode -1: space handling and kept characters given by the caller.
function string.urlEncode(s, mode, space, keep)
    s = tostring(s)
    mode = mode == nil and 0 or math.tointeger(mode) or 0
    local plus, kept = true, ".-*_"
    if mode == 1 then plus, kept = false, ".-_" end
    if mode == -1 then
        plus = (math.tointeger(space) or 0) == 0
        kept = tostring(keep or "")
    end
    return (s:gsub("[^%w]", function(c)
        if kept:find(c, 1, true) then return c end
        if c == " " and plus then return "+" end
        return string.format("%%%02X", c:byte())
    end))
end
function string.split(s, delim, keepEmpty)
    local out, start = {}, 1
    delim = delim or ","
    while true do
        local i, j = s:find(delim, start, true)
        local part = s:sub(start, (i or 0) - 1)
        if not i then part = s:sub(start) end
        if keepEmpty or #part > 0 then out[#out + 1] = part end
        if not i then break end
        start = j + 1
    end
    return out
end
function string.startsWith(s, p) return s:sub(1, #p) == p end
function string.endsWith(s, p) return p == "" or s:sub(-#p) == p end
function string.trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end
function string.toBase64(s) return P.b64(s, true) end
function string.fromBase64(s) return P.b64(s, false) end

---------------------------------------------------------------- board: mobile, rtos, uart, mcu
-- components/mobile/luat_lib_mobile.c. Radio figures are derived from the identity's CSQ.
local ipv6 = false
local flymode = false
local cellsRequested = false
local function csq() return select(4, P.identity()) end
mobile = strict("mobile", {
    imei = function() return (P.identity()) end,
    iccid = function() return (select(2, P.identity())) end,
    imsi = function() return (select(3, P.identity())) end,
    -- Only on builds with LUAT_USE_MOBILE_ECNPICFG (RuntimeSettings.buildOptions); the manifest
    -- removes it elsewhere. Returns passed, { rfCaliDone, rfNSTDone, rfCTDone }.
    ecnpicfg = function()
        local cali, nst = P.rfcal()
        return cali == 1 and nst == 1, { rfCaliDone = cali, rfNSTDone = nst, rfCTDone = 0 }
    end,
    csq = function() return csq() end,
    rssi = function() return -113 + 2 * csq() end,
    rsrp = function() return -140 + 3 * csq() end,
    rsrq = function() return -12 + csq() // 6 end,
    snr = function() return csq() // 2 end,
    status = function() return P.attached() and 1 or 0 end,
    simid = function() return 0 end,
    simPin = function() return true end,
    apn = function() return "cmnet" end,
    eci = function() return 0x5A1B2C3 end,
    tac = function() return 0x1234 end,
    enbid = function() return 0x5A1B2 end,
    -- mobile.ipv6(enable) sets the stack's IPv6 switch; returns whether it is on.
    ipv6 = function(on) if on ~= nil then ipv6 = on and true or false end return ipv6 end,
    flymode = function(index, on)
        local was = flymode
        if on ~= nil then flymode = on and true or false end
        return was
    end,
    -- getCellInfo is filled by reqCellInfo (empty before).
    getCellInfo = function()
        if not cellsRequested then return {} end
        local c = csq()
        return { { mcc = 460, mnc = 0, tac = 0x1234, cid = 0x5A1B2C3, pci = 123, earfcn = 1850,
                   rsrp = -140 + 3 * c, rsrq = -12 + c // 6, rssi = -113 + 2 * c, snr = c // 2, tdd = 0 } }
    end,
    -- reqCellInfo(timeout) answers with the CELL_INFO_UPDATE topic.
    reqCellInfo = function()
        sys.timerStart(function() cellsRequested = true; sys.publish("CELL_INFO_UPDATE") end, 100)
    end,
})
-- luat/modules/luat_lib_rtos.c: bsp() "EC618" (luat_os_bsp in luatos-soc-2022 luat_base_ec618.c),
-- version() LUAT_BSP_VERSION, firmware() "LuatOS-SoC_<version>_<bsp>", meminfo(kind) → total, used, max used.
rtos = strict("rtos", {
    bsp = function() return "EC618" end,
    version = function() return P.version() end,
    firmware = function() return "LuatOS-SoC_" .. P.version() .. "_EC618" end,
    buildDate = function() return "BoardSim" end,
    meminfo = function(kind) return P.meminfo(kind or "lua") end,
    reboot = function() P.reboot("rtos.reboot") end,
    nop = function() end,
})
-- luat/include/luat_uart.h: uart.VUART_0 = 0x20 (the USB virtual UART, interface 6).
uart = strict("uart", { VUART_0 = 0x20 })
local uartHandlers = {}
function uart.setup(id) return 0 end
function uart.write(id, data)
    if id ~= uart.VUART_0 then unsupported("uart.write on uart " .. tostring(id) .. " (only uart.VUART_0 is simulated)") end
    data = tostring(data)
    P.vuart(data)
    return #data
end
function uart.on(id, event, fn) uartHandlers[tostring(id) .. event] = fn end
function uart.close(id) end
function uart.exist(id) return id == uart.VUART_0 end
-- luatos-soc-2022 interface/src/luat_mcu_ec618.c: ticks in milliseconds, mcu.hz() = 1000.
mcu = strict("mcu", { ticks = function() return P.now() end, hz = function() return 1000 end })

---------------------------------------------------------------- pm, wdt, gpio, adc
-- luat/modules/luat_lib_pm.c; EC618 luat_pm_request accepts modes 0..4 (luatos-soc-2022
-- project/luatos/src/luat_pm_ec618.c), pm.power returns luat_pm_power_ctrl(...) == 0, which is
-- 0 for USB, PWK_MODE and WORK_MODE there and -1 for ids it does not handle.
local pmRequest, pmPower = 0, {}
pm = strict("pm", {
    request = function(mode)
        mode = math.tointeger(mode)
        if not mode or mode < 0 or mode > 4 then return false end
        pmRequest = mode
        return true
    end,
    power = function(id, on)
        id = math.tointeger(id)
        local handled = { [0] = true, [1] = true, [2] = true, [4] = true, [5] = true, [6] = true, [7] = true }
        if not id or not handled[id] then return false end
        pmPower[id] = on
        return true
    end,
    force = function(mode)
        mode = math.tointeger(mode)
        if not mode or mode < 0 or mode > 4 then return -2 end
        pmRequest = mode
        return 0
    end,
    check = function() return pmRequest == 0, pmRequest end,
    lastReson = function() return 0, 0, 0 end,
    dtimerStart = function() return true end,
    dtimerStop = function() end,
    dtimerCheck = function() return false end,
    dtimerWkId = function() return -1 end,
    reboot = function() P.reboot("pm.reboot") end,
})

-- luat/modules/luat_lib_wdt.c: every call returns ret == 0. The EC618 watchdog takes whole
-- seconds 1..60: init(ms) uses ms // 1000 (default 10 ms, so a bare wdt.init() is false);
-- setTimeout passes its value unchanged into the same check; close only feeds.
-- An expired watchdog would reset the board; the simulator keeps the state but does not bite.
local wdtState = { timeout = nil, fed = 0 }
local function wdtSeconds(s)
    s = math.tointeger(s) or 0
    if s < 1 or s > 60 then return false end
    wdtState.timeout = s
    wdtState.fed = P.now()
    return true
end
wdt = strict("wdt", {
    init = function(ms) return wdtSeconds((math.tointeger(ms) or 10) // 1000) end,
    setTimeout = function(v) return wdtSeconds(v) end,
    feed = function() wdtState.fed = P.now() return true end,
    close = function() wdtState.fed = P.now() return true end,
})

-- luat/modules/luat_lib_gpio.c: setup(pin, mode, pull, irq): a number mode is an output at that
-- level and returns a setter; nil is an input and returns a getter; a function is an
-- interrupt input and returns a getter. Inputs read their pull level (nothing drives them).
local pins = {}
gpio = strict("gpio", {})
local function pinState(pin)
    pin = math.tointeger(pin)
    if not pin then error("bad argument #1 (number expected)", 3) end
    return pin
end
function gpio.setup(pin, mode, pull, irq)
    pin = pinState(pin)
    if type(mode) == "number" then
        pins[pin] = { out = true, level = (mode ~= 0) and 1 or 0, pull = pull }
        return function(v)
            if v == nil then return pins[pin] and pins[pin].level or 0 end
            gpio.set(pin, v)
        end
    end
    pins[pin] = { out = false, level = (pull == 1) and 1 or 0, pull = pull, irq = mode }
    return function() return gpio.get(pin) end
end
function gpio.set(pin, level)
    pin = pinState(pin)
    local p = pins[pin] or { out = true, level = 0 }
    pins[pin] = p
    if p.out then p.level = (tonumber(level) or 0) ~= 0 and 1 or 0 end
end
function gpio.get(pin)
    local p = pins[pinState(pin)]
    return p and p.level or 0
end
function gpio.toggle(pin)
    local p = pins[pinState(pin)]
    if p and p.out then p.level = 1 - p.level end
end
function gpio.close(pin) pins[pinState(pin)] = nil end

-- luat/modules/luat_lib_adc.c; EC618 (luatos-soc-2022 interface/src/luat_adc_ec618.c) opens
-- channels 0, 1, CPU (-1) and VBAT (-2) only. read returns raw, converted (mV, or
-- milli-degrees for the CPU sensor); get returns the converted value.
local adcOpen = {}
local ADC_VALUE = { [0] = 0, [1] = 0, [-1] = 25000, [-2] = 3800, [10] = 25000, [11] = 3800 }
adc = strict("adc", {
    open = function(id)
        id = math.tointeger(id)
        if id == nil or ADC_VALUE[id] == nil then return false end
        adcOpen[id] = true
        return true
    end,
    read = function(id)
        local v = ADC_VALUE[math.tointeger(id) or 99]
        if v == nil then return 0xFF end
        local raw = (id == -1 or id == 10) and 2048 or v * 4096 // 3800
        return raw, v
    end,
    get = function(id) return ADC_VALUE[math.tointeger(id) or 99] or -1 end,
    close = function(id) adcOpen[math.tointeger(id) or 99] = nil end,
    setRange = function() end,
})

---------------------------------------------------------------- fskv
-- components/fskv/luat_lib_fskv.c: a value is stored as one type byte + payload: boolean
-- LUA_TBOOLEAN (1) + a C bool, integer LUA_TINTEGER (21, LuatOS lua.h) + lua_Integer little-endian
-- (int32 with LUA_32BITS), float LUA_TNUMBER (3) + pack(">f"), string LUA_TSTRING (4) + bytes,
-- table LUA_TTABLE (5) + json.encode text. More than 4096 encoded bytes is refused
-- (LUAT_FSKV_MAX_SIZE); other types are refused. Every call before fskv.init() logs
-- "call fskv.init() first!!!" and returns nothing. The store (one file per key, littlefs limits:
-- components/fskv/luat_fskv.c) lives in Swift, under the board's sandbox, across reboots.
local fskvReady = false
local function fskvCheck()
    if not fskvReady then P.log("E/fskv call fskv.init() first!!!") end
    return fskvReady
end
local function fskvEncode(v)
    local t = type(v)
    if t == "boolean" then return string.char(1, v and 1 or 0) end
    if t == "number" then
        if math.type(v) == "integer" then return string.char(21) .. string.pack("<i4", ((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000) end
        return string.char(3) .. string.pack(">f", v)
    end
    if t == "string" then return string.char(4) .. v end
    if t == "table" then
        local text = json.encode(v)
        if type(text) ~= "string" then P.log("W/fskv json.encode(val) report error"); return nil end
        return string.char(5) .. text
    end
    P.log("W/fskv function/userdata/nil/thread isn't allow")
    return nil
end
local function fskvDecode(raw, skey)
    if raw == nil or #raw < 2 then return nil end
    local kind, body = raw:byte(1), raw:sub(2)
    if kind == 1 then return body:byte(1) ~= 0 end
    if kind == 21 then return (string.unpack("<i4", body .. "\0\0\0\0")) end
    if kind == 3 then return (string.unpack(">f", body .. "\0\0\0\0")) end
    if kind == 4 then return body end
    if kind == 5 then
        local t = json.decode(body)
        if skey and skey ~= "" and type(t) == "table" then return t[skey] end
        return t
    end
    P.log(string.format("W/fskv bad value prefix %02X", kind))
    return nil
end
local function fskvSet(key, value)
    if not fskvCheck() then return end
    if type(key) ~= "string" and type(key) ~= "number" then error("bad argument #1 to 'set' (string expected, got " .. type(key) .. ")", 2) end
    local raw = fskvEncode(value)
    if raw == nil then return false end
    if #raw > 4096 then
        P.log(string.format("E/fskv value too big %d max %d", #raw, 4096))
        return false
    end
    return P.fskv("set", tostring(key), raw)
end
local function fskvGet(key, skey)
    if not fskvCheck() then return end
    return fskvDecode(P.fskv("get", tostring(key)), skey)
end
local function fskvDel(key)
    if not fskvCheck() then return end
    return P.fskv("del", tostring(key))
end
local function fskvClear()
    if not fskvCheck() then return end
    return P.fskv("clear")
end
local function fskvStat()
    if not fskvCheck() then return end
    return P.fskv("stat")
end
local function fskvIter()
    if not fskvCheck() then return end
    return { offset = 0 }
end
local function fskvNext(iter)
    if type(iter) ~= "table" then return nil end
    local key = P.fskv("key", iter.offset)
    if key then iter.offset = iter.offset + 1 end
    return key
end
local function fskvInit() fskvReady = true return true end
fskv = strict("fskv", {
    init = fskvInit, kvdb_init = fskvInit,
    set = fskvSet, kv_set = fskvSet,
    get = fskvGet, kv_get = fskvGet,
    del = fskvDel, kv_del = fskvDel,
    clr = fskvClear, clear = fskvClear, kv_clr = fskvClear,
    stat = fskvStat, status = fskvStat, kv_stat = fskvStat,
    iter = fskvIter, kv_iter = fskvIter,
    next = fskvNext, kv_next = fskvNext,
    -- sett(key, skey, value): the stored table with one field set; a non-table value is replaced.
    sett = function(key, skey, ...)
        if not fskvCheck() then return end
        if select("#", ...) < 1 then return end
        local t = fskvGet(key)
        if type(t) ~= "table" then t = {} end
        t[tostring(skey)] = ...
        return fskvSet(key, t)
    end,
})

---------------------------------------------------------------- fs, socket
-- luat/modules/luat_lib_fs.c: fsstat(path) → true, total blocks, used blocks, block size, type;
-- fsize(path) → size (0 when missing). LittleFS on EC618: 288 KiB of 4 KiB blocks (spec §4.1).
fs = strict("fs", {
    fsstat = function(path) return P.fsstat(path or "/") end,
    mkdir = function(path) return P.mkdir(tostring(path)) end,
    rmdir = function(path) return P.rmdir(tostring(path)) end,
    fsize = function(path)
        local hp = P.path(tostring(path or ""), "r")
        return hp and P.filesize(hp) or 0
    end,
})
-- components/network/adapter/luat_lib_socket.c: socket.adapter(index) → ready, index (V1112
-- has no socket.dft). Without an index the first ready adapter from LWIP_GP (1) up is reported.
-- The only adapter of a simulated board is the 4G one (LWIP_GP), up once the board has attached.
socket = strict("socket", {
    adapter = function(index)
        index = math.tointeger(index)
        if index then return index == 1 and P.attached(), index end
        if P.attached() then return true, 1 end
        return false
    end,
})

---------------------------------------------------------------- zbuff (basics)
-- luat/modules/luat_lib_zbuff.c: a fixed-size byte buffer with one cursor ("used"): write and
-- read advance it, seek moves it. A table with methods stands in for the userdata.
local ZB = {}
ZB.__index = function(b, k)
    if type(k) == "number" then
        k = math.tointeger(k)
        if k and k >= 0 and k < b._len then return b._bytes[k] or 0 end
        return nil
    end
    return ZB[k]
end
ZB.__newindex = function(b, k, v)
    if type(k) == "number" then
        k = math.tointeger(k)
        if k and k >= 0 and k < b._len then b._bytes[k] = (math.tointeger(v) or 0) & 0xFF end
        return
    end
    rawset(b, k, v)
end
ZB.__len = function(b) return b._len end
local function zbNew(len)
    return setmetatable({ _bytes = {}, _len = len, _used = 0 }, ZB)
end
function ZB:len() return self._len end
function ZB:used() return self._used end
function ZB:write(...)
    local n = 0
    for i = 1, select("#", ...) do
        local v = select(i, ...)
        if type(v) == "string" then
            for j = 1, #v do
                if self._used >= self._len then return n end
                self._bytes[self._used] = v:byte(j); self._used = self._used + 1; n = n + 1
            end
        elseif type(v) == "number" then
            if self._used >= self._len then return n end
            self._bytes[self._used] = (math.tointeger(v) or 0) & 0xFF; self._used = self._used + 1; n = n + 1
        end
    end
    return n
end
function ZB:read(n)
    n = math.min(math.tointeger(n) or 0, self._len - self._used)
    if n <= 0 then return "" end
    local out = {}
    for i = 0, n - 1 do out[#out + 1] = string.char(self._bytes[self._used + i] or 0) end
    self._used = self._used + n
    return table.concat(out)
end
function ZB:seek(offset, whence)
    offset = math.tointeger(offset) or 0
    whence = whence or 0
    local base = whence == 1 and self._used or (whence == 2 and self._len or 0)
    self._used = math.max(0, math.min(self._len, base + offset))
    return self._used
end
function ZB:query(offset, n)
    offset = math.tointeger(offset) or 0
    n = math.tointeger(n) or (self._len - offset)
    if offset < 0 or offset >= self._len or n <= 0 then return "" end
    n = math.min(n, self._len - offset)
    local out = {}
    for i = offset, offset + n - 1 do out[#out + 1] = string.char(self._bytes[i] or 0) end
    return table.concat(out)
end
function ZB:toStr(offset, n)
    if offset == nil then return self:query(0, self._len) end
    return self:query(offset, n)
end
function ZB:del(offset, n)
    offset = math.tointeger(offset) or 0
    n = math.tointeger(n) or (self._used - offset)
    if offset < 0 or offset >= self._used or n <= 0 then return end
    n = math.min(n, self._used - offset)
    for i = offset, self._used - n - 1 do self._bytes[i] = self._bytes[i + n] end
    for i = self._used - n, self._used - 1 do self._bytes[i] = nil end
    self._used = self._used - n
end
function ZB:copy(start, src, srcStart, n)
    start = math.tointeger(start) or self._used
    local data = type(src) == "string" and src:sub((math.tointeger(srcStart) or 0) + 1,
        n and ((math.tointeger(srcStart) or 0) + n) or nil) or src:query(math.tointeger(srcStart) or 0, n or src:used())
    local count = 0
    for i = 1, #data do
        if start + i - 1 >= self._len then break end
        self._bytes[start + i - 1] = data:byte(i); count = count + 1
    end
    if start + count > self._used then self._used = start + count end
    return count
end
function ZB:clear(v)
    v = (math.tointeger(v) or 0) & 0xFF
    for i = 0, self._len - 1 do self._bytes[i] = v end
end
function ZB:resize(n)
    n = math.tointeger(n) or self._len
    for i = n, self._len - 1 do self._bytes[i] = nil end
    self._len = n
    if self._used > n then self._used = n end
end
function ZB:free() self._bytes = {}; self._len = 0; self._used = 0 end
function ZB:set(start, v, n)
    start = math.tointeger(start) or 0
    n = math.tointeger(n) or (self._len - start)
    v = (math.tointeger(v) or 0) & 0xFF
    for i = math.max(0, start), math.min(self._len, start + n) - 1 do self._bytes[i] = v end
end
ZB.reSize = ZB.resize
function ZB:isEqual(offset, other, otherOffset, n)
    return self:query(offset or 0, n) == other:query(otherOffset or 0, n)
end
function ZB:toBase64() return P.b64(self:query(0, self._used), true) end
-- The other methods of the firmware's zbuff metatable (luat/modules/luat_lib_zbuff.c) are
-- noted no-ops, like unmodelled module members.
for _, name in ipairs({ "pack", "unpack", "get", "readI8", "readI16", "readI32", "readI64", "readU8", "readU16",
    "readU32", "readU64", "readF32", "readF64", "writeI8", "writeI16", "writeI32", "writeI64", "writeU8", "writeU16",
    "writeU32", "writeU64", "writeF32", "writeF64", "setFrameBuffer", "pixel", "drawLine", "drawRect", "drawCircle" }) do
    if ZB[name] == nil then ZB[name] = stub("zbuff:" .. name) end
end
zbuff = strict("zbuff", {
    SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2,
    -- create(len, data_or_fill): a string is copied in and the cursor set after it; a number fills every byte.
    create = function(len, init)
        local b = zbNew(math.max(0, math.tointeger(len) or 0))
        if type(init) == "string" then
            for i = 1, math.min(#init, b._len) do b._bytes[i - 1] = init:byte(i) end
            b._used = math.min(#init, b._len)
        elseif type(init) == "number" then
            b:clear(init)
        end
        return b
    end,
})

---------------------------------------------------------------- bit
-- lua/src/lbitlib.c (LUA_COMPAT_BITLIB, with LuatOS' bit/isset/isclear/set/clear); 32-bit results.
bit = strict("bit", {
    bnot = function(a) return ~a & 0xFFFFFFFF end,
    band = function(a, ...) for _, b in ipairs({ ... }) do a = a & b end return a end,
    bor = function(a, ...) for _, b in ipairs({ ... }) do a = a | b end return a end,
    bxor = function(a, ...) for _, b in ipairs({ ... }) do a = a ~ b end return a end,
    lshift = function(a, n) return (a << n) & 0xFFFFFFFF end,
    rshift = function(a, n) return (a & 0xFFFFFFFF) >> n end,
    arshift = function(a, n) a = a & 0xFFFFFFFF if a >= 0x80000000 then a = a - 0x100000000 end return (a >> n | (a < 0 and ~(0xFFFFFFFF >> n) or 0)) & 0xFFFFFFFF end,
    bit = function(n) return 1 << n end,
    isset = function(a, n) return (a >> n) & 1 == 1 end,
    isclear = function(a, n) return (a >> n) & 1 == 0 end,
    set = function(a, ...) for _, n in ipairs({ ... }) do a = a | (1 << n) end return a end,
    clear = function(a, ...) for _, n in ipairs({ ... }) do a = a & ~(1 << n) end return a end,
})

---------------------------------------------------------------- files: io/os in the board's sandbox
local rawopen, rawremove, rawrename, rawloadfile, rawlines = io.open, os.remove, os.rename, loadfile, io.lines
function io.open(path, mode)
    local hp, err = P.path(path, mode or "r")
    if not hp then return nil, err end
    return rawopen(hp, mode or "r")
end
function io.readFile(path, mode, offset, len)
    local f = io.open(path, "rb")
    if not f then return nil end
    if offset then f:seek("set", offset) end
    local data = len and f:read(len) or f:read("a")
    f:close()
    return data
end
function io.writeFile(path, data, mode)
    local f = io.open(path, mode or "wb")
    if not f then return false end
    f:write(data)
    f:close()
    return true
end
function io.exists(path) local f = io.open(path, "rb") if f then f:close() return true end return false end
function io.fileSize(path)
    local f = io.open(path, "rb")
    if not f then return 0 end
    local n = f:seek("end")
    f:close()
    return n
end
function io.mkdir(path) return P.mkdir(path) end
-- LuatOS io extensions (lua/src/liolib.c): rmdir, lsdir(path, max, offset) →
-- true, { { name =, type = io.FILE 0 / io.DIR 1, size = } ... } or false, message.
function io.rmdir(path) return P.rmdir(tostring(path)) end
function io.lsdir(path, max, offset)
    local list, err = P.lsdir(tostring(path))
    if not list then return false, err end
    offset = math.tointeger(offset) or 0
    max = math.tointeger(max) or 10
    local out = {}
    for i = offset + 1, math.min(#list, offset + max) do out[#out + 1] = list[i] end
    return true, out
end
-- Not on the device (lua/src/liolib.c, loslib.c, lstrlib.c as LuatOS builds them): nil.
io.popen, io.read, io.write, io.close, io.input, io.output, io.tmpfile = nil, nil, nil, nil, nil, nil, nil
os.getenv, os.exit, os.execute, os.tmpname = nil, nil, nil, nil
string.dump = nil
io.lines = function(path, ...) if path == nil then unsupported("io.lines() on stdin") end
    local hp, err = P.path(path, "r"); if not hp then error(err, 2) end; return rawlines(hp, ...) end
function os.remove(path) local hp, err = P.path(path, "w") if not hp then return nil, err end return rawremove(hp) end
function os.rename(a, b)
    local ha, ea = P.path(a, "w"); if not ha then return nil, ea end
    local hb, eb = P.path(b, "w"); if not hb then return nil, eb end
    return rawrename(ha, hb)
end
function loadfile(path, mode, env)
    local hp, err = P.path(path, "r")
    if not hp then return nil, err end
    return rawloadfile(hp, mode, env)
end
function dofile(path) local f, err = loadfile(path) if not f then error(err, 2) end return f() end

---------------------------------------------------------------- require: the LittleFS root first, then /luadb, then /lua
-- lua/src/loadlib.c (LUAT_MODULE_SEARCH_PATH): "/%s.luac", "/%s.lua", "/luadb/%s.luac",
-- "/luadb/%s.lua", "/lua/%s.luac", "/lua/%s.lua".
package.cpath = ""
package.loadlib = function() unsupported("package.loadlib") end
package.searchers = {
    function(name) return package.preload[name] end,
    function(name)
        local function fromfs(path)
            local fn, err = P.load_path(path)
            if fn then return fn, path end
            if err then error(err, 0) end
        end
        for _, candidate in ipairs({ "/" .. name .. ".luac", "/" .. name .. ".lua" }) do
            local fn, where = fromfs(candidate)
            if fn then return fn, where end
        end
        for _, candidate in ipairs({ name .. ".luac", name .. ".lua" }) do
            local fn, err = P.luadb_load(candidate)
            if fn then return fn, "/luadb/" .. candidate end
            if err then error(err, 0) end
        end
        for _, candidate in ipairs({ "/lua/" .. name .. ".luac", "/lua/" .. name .. ".lua" }) do
            local fn, where = fromfs(candidate)
            if fn then return fn, where end
        end
        return "\n\tno file '/" .. name .. ".luac', '/" .. name .. ".lua', '/luadb/" .. name ..
            ".luac', '/luadb/" .. name .. ".lua', '/lua/" .. name .. ".luac' or '/lua/" .. name .. ".lua'"
    end,
}

---------------------------------------------------------------- the firmware's surface, from the manifest
do
    -- Standard libraries the firmware extends (string, io): the manifest lists only the
    -- extensions, so members are added, never removed.
    local STD = { string = true, io = true, os = true, table = true, math = true }
    for modname, spec in pairs(MANIFEST) do
        local t = declared[modname] or rawget(_G, modname) or {}
        declared[modname] = nil
        for name in pairs(spec.f) do
            if rawget(t, name) == nil then t[name] = stub(modname .. "." .. name) end
        end
        for name, value in pairs(spec.c) do
            if rawget(t, name) == nil then t[name] = value end
        end
        if STD[modname] then goto continue end
        -- What the firmware does not have is nil (the shim's own entry points start with "__").
        local extra = {}
        for k in pairs(t) do
            if type(k) == "string" and k:sub(1, 2) ~= "__" and not spec.f[k] and spec.c[k] == nil then
                extra[#extra + 1] = k
            end
        end
        for _, k in ipairs(extra) do t[k] = nil end
        _G[modname] = t
        package.loaded[modname] = t
        ::continue::
    end
    -- Modules the shim models that this firmware build lacks (e.g. miniz without _FULL).
    for modname in pairs(declared) do
        _G[modname] = nil
        package.loaded[modname] = nil
    end
    -- luaopen_fskv also publishes the table as the global fdb (components/fskv/luat_lib_fskv.c);
    -- the http table is also http2 (components/network/libhttp/luat_lib_http.c); bit is the
    -- bit32 library (lua/src/lbitlib.c, LUA_COMPAT_BITLIB).
    if fskv and not MANIFEST.fdb then fdb = fskv end
    if http and not MANIFEST.http2 then http2 = http end
    if bit and not MANIFEST.bit32 then bit32 = bit end
end
"""#
}
