/// The Lua half of the LuatOS API shim, run once per boot before `main`. Written for this project
/// from the documented LuatOS behaviour (sys/sysplus semantics, `http.request(...).wait()`,
/// `log.*` record text of spec §5.3): scheduling, topics and argument checks live here, while the
/// primitives table `P` (Swift) does I/O, hashing, JSON and time.
///
/// Anything a real script may call that the simulator does not provide raises a Lua error
/// `unsupported LuatOS API: <module>.<name>`, so the gaps show up by name in the log.
enum LuatOSPrelude {
    static let source = #"""
local P = ...
local unpack, pack = table.unpack, table.pack

local function unsupported(name)
    error("unsupported LuatOS API: " .. name .. " (not simulated by BoardSim)", 3)
end

-- A module table whose missing members are functions that fail naming themselves.
local function strict(modname, t)
    return setmetatable(t or {}, { __index = function(_, k)
        if type(k) ~= "string" then return nil end
        return function() unsupported(modname .. "." .. k) end
    end })
end

---------------------------------------------------------------- log / print
local LEVELS = { SILENT = 0, DEBUG = 1, INFO = 2, WARN = 3, ERROR = 4 }
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
    LOG_SILENT = 0, LOG_DEBUG = 1, LOG_INFO = 2, LOG_WARN = 3, LOG_ERROR = 4,
    debug = logat(1, "D"), info = logat(2, "I"), warn = logat(3, "W"), error = logat(4, "E"),
    trace = logat(1, "D"),
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

sys = strict("sys", {})
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
sysplus = strict("sysplus", {})
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
json = strict("json", {
    encode = function(v) return P.json_encode(v) end,
    decode = function(s)
        if type(s) ~= "string" then return nil, 0, "not a string" end
        local v, err = P.json_decode(s)
        if err then return nil, 0, err end
        return v, 1
    end,
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
})
miniz = strict("miniz", {
    PARSE_ZLIB_HEADER = 1, WRITE_ZLIB_HEADER = 0x1000,
    uncompress = function(data, flags) return P.inflate(data, ((flags or 1) & 1) ~= 0) end,
    compress = function(data, flags) return P.deflate(data, ((flags or 0x1000) & 0x1000) ~= 0) end,
})

---------------------------------------------------------------- string extensions
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
function string.urlEncode(s)
    return (tostring(s):gsub("[^%w%-%_%.%~]", function(c) return string.format("%%%02X", c:byte()) end))
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
mobile = strict("mobile", {
    imei = function() return (P.identity()) end,
    iccid = function() return (select(2, P.identity())) end,
    imsi = function() return (select(3, P.identity())) end,
    csq = function() return (select(4, P.identity())) end,
    rssi = function() return -113 + 2 * select(4, P.identity()) end,
    status = function() return P.attached() and 1 or 0 end,
})
rtos = strict("rtos", {
    bsp = function() return "EC618" end,
    version = function() return P.version() end,
    firmware = function() return "LuatOS-SoC_" .. P.version() .. "_EC618" end,
    buildDate = function() return "BoardSim" end,
    meminfo = function(kind) return P.meminfo(kind or "lua") end,
    reboot = function() P.reboot("rtos.reboot") end,
})
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
mcu = strict("mcu", { ticks = function() return P.now() end, hz = function() return 1000 end })

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
io.popen = function() unsupported("io.popen") end
io.lines = function(path, ...) if path == nil then unsupported("io.lines() on stdin") end
    local hp, err = P.path(path, "r"); if not hp then error(err, 2) end; return rawlines(hp, ...) end
function os.remove(path) local hp, err = P.path(path, "w") if not hp then return nil, err end return rawremove(hp) end
function os.rename(a, b)
    local ha, ea = P.path(a, "w"); if not ha then return nil, ea end
    local hb, eb = P.path(b, "w"); if not hb then return nil, eb end
    return rawrename(ha, hb)
end
os.execute = function() unsupported("os.execute") end
os.exit = function() unsupported("os.exit") end
os.getenv = function() return nil end
os.tmpname = function() unsupported("os.tmpname") end
function loadfile(path, mode, env)
    local hp, err = P.path(path, "r")
    if not hp then return nil, err end
    return rawloadfile(hp, mode, env)
end
function dofile(path) local f, err = loadfile(path) if not f then error(err, 2) end return f() end

---------------------------------------------------------------- require: /luadb first, then the root fs
package.cpath = ""
package.loadlib = function() unsupported("package.loadlib") end
package.searchers = {
    function(name) return package.preload[name] end,
    function(name)
        for _, candidate in ipairs({ name .. ".luac", name .. ".lua" }) do
            local fn, err = P.luadb_load(candidate)
            if fn then return fn, "/luadb/" .. candidate end
            if err then error(err, 0) end
        end
        local hp = P.path("/" .. name .. ".lua", "r")
        if hp then
            local f = rawopen(hp, "rb")
            if f then f:close(); return assert(rawloadfile(hp)), "/" .. name .. ".lua" end
        end
        return "\n\tunsupported LuatOS API: require(\"" .. name .. "\") — no " .. name .. ".luac/.lua in /luadb or /, and the simulator has no such built-in library"
    end,
}

-- Built-in LuatOS libraries this simulator does not provide: calling into them names the gap.
for _, name in ipairs({ "gpio", "adc", "pwm", "i2c", "spi", "pm", "fota", "socket", "mqtt", "websocket",
    "zbuff", "fskv", "fdb", "audio", "lcd", "sms", "errDump", "wdt", "netLed", "pack", "ftp", "httpsrv",
    "iotauth", "gnss", "lbsLoc", "ioqueue", "otp", "sfud", "u8g2", "eink", "tp", "wlan", "netdrv", "can",
    "camera", "codec", "iconv", "protobuf", "rsa", "gmssl", "xxtea", "ymodem", "libgnss", "libfota", "bit" }) do
    _G[name] = strict(name, {})
end
"""#
}
