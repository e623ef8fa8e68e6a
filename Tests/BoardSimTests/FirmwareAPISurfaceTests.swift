import BoardSim
import Foundation
import LuaImage
import Testing

/// The simulated runtime's V1112 API surface: the manifest decides what exists; what exists and
/// matters in an app's first seconds is modelled; the rest is a noted no-op.
@Suite("Runtime: the V1112 API surface")
struct FirmwareAPISurfaceTests {
    /// Runs `source` as main.lua on a runtime over `sandbox` (kept afterwards).
    static func run(_ source: String, sandbox: String, build: FirmwareBuild = .full,
                    extraFiles: [LuaDBFile] = []) async -> LuatOSRuntime.Report {
        var settings = RuntimeSettings(sandboxDirectory: sandbox)
        settings.attachDelay = .milliseconds(5)
        settings.firmwareBuild = build
        let files = [LuaDBFile(name: "main.lua", bytes: Array(source.utf8))] + extraFiles
        return await LuatOSRuntime(files: files, identity: .simulated(3), settings: settings).run(for: .seconds(10))
    }

    static func line(_ report: LuatOSRuntime.Report, _ tag: String) -> String? {
        report.logLines.first { $0.hasPrefix("I/user.\(tag)\t") }.map { String($0.dropFirst("I/user.\(tag)\t".count)) }
    }

    @Test("EC618 wlan is scan-only: `if wlan and wlan.connect` is false, wlan.scan exists; unknown members are nil")
    func wlanScanOnly() async {
        let report = await RuntimeHarness.run("""
            log.info("wifi", (wlan and wlan.connect) and "wifi" or "4g", type(wlan.scan))
            log.info("nil", tostring(mobile.signal), tostring(gpio.INPUT), tostring(socket.dft), tostring(fskv.gett), tostring(pm.wake))
            log.info("mods", tostring(lvgl), tostring(iconv), tostring(netdrv), type(fskv), type(zbuff), type(fdb))
            """)
        #expect(report.taskErrors.isEmpty)
        #expect(Self.line(report, "wifi") == "4g\tfunction")
        #expect(Self.line(report, "nil") == "nil\tnil\tnil\tnil\tnil")
        #expect(Self.line(report, "mods") == "nil\tnil\tnil\ttable\ttable\ttable")
    }

    @Test("an unmodelled firmware member returns without error and is noted exactly once")
    func unmodelledNotedOnce() async {
        let report = await RuntimeHarness.run("""
            for i = 1, 5 do gpio.debounce(7, 100) end
            log.info("ret", tostring((gpio.debounce(7, 100))), tostring(i2c.setup(0)))
            sys.taskInit(function() for i = 1, 3 do gpio.debounce(8, 10) sys.wait(1) end log.info("done", "yes") end)
            """)
        #expect(report.taskErrors.isEmpty)
        #expect(report.logLines.filter { $0 == "W/sim not modelled: gpio.debounce" }.count == 1)
        #expect(report.logLines.filter { $0 == "W/sim not modelled: i2c.setup" }.count == 1)
        #expect(Self.line(report, "ret") == "nil\t1")
        #expect(Self.line(report, "done") == "yes")
    }

    @Test("an app that sets up pm, wdt and fskv at the top of main.lua runs to its end")
    func typicalAppTop() async {
        let report = await RuntimeHarness.run("""
            PROJECT = "demo"
            VERSION = "1.0.0"
            local sys = require("sys")
            pm.power(pm.PWK_MODE, false)
            if wdt then
                wdt.init(9000)
                sys.timerLoopStart(wdt.feed, 3000)
            end
            log.info("fskv", fskv.init())
            log.info("pm", pm.power(pm.PWK_MODE, false), pm.request(pm.IDLE), wdt.init(9000), wdt.init(), wdt.setTimeout(5000), wdt.feed())
            sys.taskInit(function()
                log.info("adapter", socket.adapter(socket.LWIP_GP))
                sys.waitUntil("IP_READY", 2000)
                log.info("adapter", socket.adapter(socket.LWIP_GP))
                log.info("mobile", mobile.status(), mobile.ipv6(), mobile.ipv6(true), mobile.simid(), mobile.csq() > 0)
                log.info("meminfo", select("#", rtos.meminfo("sys")), type(crypto.cipher_suites()), #crypto.cipher_suites() > 0)
                log.fatal("end", "reached")
                sys.timerStopAll(wdt.feed)
            end)
            sys.run()
            """, limit: .seconds(3))
        #expect(report.taskErrors.isEmpty, "\(report.taskErrors)")
        #expect(Self.line(report, "fskv") == "true")
        #expect(Self.line(report, "pm") == "true\ttrue\ttrue\tfalse\tfalse\ttrue")
        #expect(report.logLines.contains("I/user.adapter\tfalse\t1"))
        #expect(report.logLines.contains("I/user.adapter\ttrue\t1"))
        #expect(Self.line(report, "mobile") == "1\tfalse\ttrue\t0\ttrue")
        #expect(Self.line(report, "meminfo") == "3\ttable\ttrue")
        #expect(report.logLines.contains("E/user.end\treached"))
    }

    @Test("fskv: every type round-trips and survives a second boot on the same sandbox; limits as the firmware's")
    func fskvPersists() async throws {
        let sandbox = RuntimeHarness.sandbox()
        defer { try? FileManager.default.removeItem(atPath: sandbox) }
        let first = await Self.run("""
            log.info("before", tostring((fskv.set("a", 1))))
            fskv.init()
            log.info("set", fskv.set("b", true), fskv.set("i", 123456), fskv.set("f", 1.5), fskv.set("s", "hello"),
                fskv.set("t", { x = 1, y = "z" }), fskv.set("n", -7))
            log.info("limits", fskv.set(string.rep("k", 63), 1), fskv.set(string.rep("k", 64), 1),
                fskv.set("big", string.rep("v", 4095)), fskv.set("big2", string.rep("v", 4096)), fskv.set("fn", print))
            log.info("sett", fskv.sett("t", "w", 5))
            log.info("del", fskv.del(string.rep("k", 63)), fskv.del("big"), tostring(fskv.get("big")))
            """, sandbox: sandbox)
        #expect(first.logLines.contains("E/fskv call fskv.init() first!!!"))
        #expect(Self.line(first, "before") == "nil")
        #expect(Self.line(first, "set") == "true\ttrue\ttrue\ttrue\ttrue\ttrue")
        #expect(Self.line(first, "limits") == "true\tfalse\ttrue\tfalse\tfalse")
        #expect(first.logLines.contains("E/fskv value too big 4097 max 4096"))
        #expect(Self.line(first, "sett") == "true")
        #expect(Self.line(first, "del") == "true\ttrue\tnil")

        let second = await Self.run("""
            fskv.init()
            local t = fskv.get("t")
            log.info("get", fskv.get("b"), fskv.get("i"), math.type(fskv.get("i")), fskv.get("f"), fskv.get("s"),
                t.x, t.y, t.w, fskv.get("t", "y"), fskv.get("n"), tostring(fskv.get("missing")))
            local used, total, count = fskv.status()
            log.info("status", used > 0, total, count)
            local keys, iter = {}, fskv.iter()
            while true do local k = fskv.next(iter) if not k then break end keys[#keys + 1] = k end
            log.info("keys", table.concat(keys, ","))
            log.info("clear", fskv.clear(), tostring(fskv.get("b")), select(3, fskv.status()))
            """, sandbox: sandbox)
        #expect(second.taskErrors.isEmpty, "\(second.taskErrors)")
        #expect(Self.line(second, "get") == "true\t123456\tinteger\t1.5\thello\t1\tz\t5\tz\t-7\tnil")
        #expect(Self.line(second, "status") == "true\t65536\t6")
        #expect(Self.line(second, "keys") == "b,f,i,n,s,t")
        #expect(Self.line(second, "clear") == "true\tnil\t0")
    }

    @Test("fskv stores values in the firmware's encoding (type byte + payload)")
    func fskvEncoding() async throws {
        let sandbox = RuntimeHarness.sandbox()
        defer { try? FileManager.default.removeItem(atPath: sandbox) }
        _ = await Self.run(#"fskv.init() fskv.set("i", 258) fskv.set("f", 1.5) fskv.set("b", true) fskv.set("s", "x")"#, sandbox: sandbox)
        func stored(_ key: String) -> [UInt8]? { FileManager.default.contents(atPath: sandbox + "/fskv/" + key).map { [UInt8]($0) } }
        #expect(stored("i") == [21, 0x02, 0x01, 0, 0])
        #expect(stored("f") == [3, 0x3F, 0xC0, 0, 0])
        #expect(stored("b") == [1, 1])
        #expect(stored("s") == [4, 0x78])
    }

    @Test("gpio keeps pin state; setup returns a setter for outputs and a getter for inputs")
    func gpioState() async {
        let report = await RuntimeHarness.run("""
            local led = gpio.setup(27, 0)
            led(1)
            log.info("out", gpio.get(27))
            gpio.set(27, 0)
            log.info("out2", gpio.get(27), led())
            gpio.toggle(27)
            log.info("out3", gpio.get(27))
            local key = gpio.setup(10, nil, gpio.PULLUP)
            local irq = gpio.setup(11, function() end, gpio.PULLDOWN)
            log.info("in", key(), irq(), gpio.get(10))
            """)
        #expect(report.taskErrors.isEmpty, "\(report.taskErrors)")
        #expect(Self.line(report, "out") == "1")
        #expect(Self.line(report, "out2") == "0\t0")
        #expect(Self.line(report, "out3") == "1")
        #expect(Self.line(report, "in") == "1\t0\t1")
    }

    @Test("adc opens channels 0, 1, CPU and VBAT and reads plausible values")
    func adcValues() async {
        let report = await RuntimeHarness.run("""
            log.info("open", adc.open(adc.CH_VBAT), adc.open(adc.CH_CPU), adc.open(0), adc.open(3))
            local raw, mv = adc.read(adc.CH_VBAT)
            log.info("vbat", adc.get(adc.CH_VBAT), mv, raw > 0, adc.get(adc.CH_CPU))
            adc.close(adc.CH_VBAT)
            """)
        #expect(Self.line(report, "open") == "true\ttrue\ttrue\tfalse")
        #expect(Self.line(report, "vbat") == "3800\t3800\ttrue\t25000")
    }

    @Test("json numbers as lua-cjson prints and reads them; decode errors are nil, false, message")
    func jsonNumbers() async {
        let report = await RuntimeHarness.run("""
            log.info("enc", json.encode(1.5), json.encode(3), json.encode({ 1.25 }), json.encode(0.0), json.encode(1.5, "2f"))
            local big = json.decode("3000000000")
            log.info("dec", big, math.type(big), json.decode("-3000000000"), json.decode("2.5"), math.type(json.decode("7")))
            local v, ok, err = json.decode("{\\"a\\":}")
            log.info("err", tostring(v), ok, type(err))
            local t = json.decode('{"a":null}')
            log.info("null", t.a == json.null, json.encode({ json.null }), json.encode(nil) == "")
            log.info("sparse", json.encode({ [1] = 1, [3] = 3 }))
            """)
        #expect(report.taskErrors.isEmpty, "\(report.taskErrors)")
        #expect(Self.line(report, "enc") == "1.5000000\t3\t[1.2500000]\t0\t1.50")
        #expect(Self.line(report, "dec") == "2147483647\tinteger\t-2147483648\t2.5\tinteger")
        #expect(Self.line(report, "err") == "nil\tfalse\tstring")
        #expect(Self.line(report, "null") == "true\t[null]\ttrue")
        #expect(Self.line(report, "sparse") == "[1,null,3]")
    }

    @Test("string.urlEncode in its default (php) mode and the other two")
    func urlEncode() async {
        let report = await RuntimeHarness.run("""
            log.info("url", ("a b~"):urlEncode(), string.urlEncode("123 abc+/"), string.urlEncode("123 abc+/", 1),
                string.urlEncode("123 abc+/", -1, 0, "/ "), string.urlEncode("x.y-z*_"))
            """)
        #expect(Self.line(report, "url") == "a+b%7E\t123+abc%2B%2F\t123%20abc%2B%2F\t123 abc%2B/\tx.y-z*_")
    }

    @Test("require finds /x.lua in the LittleFS root before /luadb/x.lua")
    func requireOrder() async {
        let sandbox = RuntimeHarness.sandbox()
        defer { try? FileManager.default.removeItem(atPath: sandbox) }
        let report = await Self.run("""
            log.info("first", require("x"))
            io.writeFile("/y.lua", "return 'root'")
            log.info("second", require("y"))
            """, sandbox: sandbox, extraFiles: [
                LuaDBFile(name: "x.lua", bytes: Array("return 'luadb'".utf8)),
                LuaDBFile(name: "y.lua", bytes: Array("return 'luadb'".utf8)),
            ])
        #expect(report.taskErrors.isEmpty, "\(report.taskErrors)")
        #expect(Self.line(report, "first") == "luadb")
        #expect(Self.line(report, "second") == "root")
    }

    @Test("miniz refuses more than 32 KiB of input and more than 31,948 bytes of output")
    func minizLimits() async {
        let report = await RuntimeHarness.run("""
            local small = miniz.compress(string.rep("a", 1000))
            log.info("small", miniz.uncompress(small) == string.rep("a", 1000))
            log.info("in", tostring(miniz.compress(string.rep("a", 32 * 1024 + 1))), tostring(miniz.uncompress(string.rep("a", 32 * 1024 + 1))))
            local z = miniz.compress(string.rep("b", 32000))
            log.info("out", #z < 32768, tostring(miniz.uncompress(z)), #miniz.uncompress(miniz.compress(string.rep("c", 31948))))
            """)
        #expect(report.taskErrors.isEmpty, "\(report.taskErrors)")
        #expect(Self.line(report, "small") == "true")
        #expect(Self.line(report, "in") == "nil\tnil")
        #expect(Self.line(report, "out") == "true\tnil\t31948")
        #expect(report.logLines.contains("E/miniz only 32k data is allow"))
    }

    @Test("the non-_FULL build has no miniz")
    func liteHasNoMiniz() async {
        let sandbox = RuntimeHarness.sandbox()
        defer { try? FileManager.default.removeItem(atPath: sandbox) }
        let lite = await Self.run(#"log.info("miniz", tostring(miniz), tostring(package.loaded.miniz), type(fskv))"#, sandbox: sandbox, build: .lite)
        let full = await Self.run(#"log.info("miniz", type(miniz))"#, sandbox: sandbox, build: .full)
        #expect(Self.line(lite, "miniz") == "nil\tnil\ttable")
        #expect(Self.line(full, "miniz") == "table")
    }

    @Test("zbuff basics: create, write, read, seek, used, len, toStr, query, del, copy, clear, resize")
    func zbuffBasics() async {
        let report = await RuntimeHarness.run("""
            local b = zbuff.create(16)
            log.info("new", b:len(), #b, b:used())
            b:write("hello", 0x20, "world")
            log.info("w", b:used(), b:toStr(0, b:used()), b[0])
            b:seek(0)
            log.info("r", b:read(5), b:used(), b:query(6, 5))
            b:seek(11)                  -- one cursor: del works within 0..used
            b:del(0, 6)
            log.info("del", b:used(), b:toStr(0, b:used()))
            local c = zbuff.create(8, "abc")
            log.info("c", c:used(), c:toStr(0, 3))
            c:copy(3, b, 0, 5)
            log.info("copy", c:toStr(0, 8), c:used())
            c:clear(0x41); c:resize(4)
            log.info("clear", c:toStr(), c:len())
            c:free()
            log.info("method", tostring((c:readU8())), tostring((c:readU8())))
            """)
        #expect(report.taskErrors.isEmpty, "\(report.taskErrors)")
        #expect(Self.line(report, "new") == "16\t16\t0")
        #expect(Self.line(report, "w") == "11\thello world\t104")
        #expect(Self.line(report, "r") == "hello\t5\tworld")
        #expect(Self.line(report, "del") == "5\tworld")
        #expect(Self.line(report, "c") == "3\tabc")
        #expect(Self.line(report, "copy") == "abcworld\t8")
        #expect(Self.line(report, "clear") == "AAAA\t4")
        #expect(Self.line(report, "method") == "nil\tnil")
        #expect(report.logLines.filter { $0 == "W/sim not modelled: zbuff:readU8" }.count == 1)
    }

    @Test("fs and io on the board's sandbox")
    func fsAndIO() async {
        let report = await RuntimeHarness.run("""
            io.mkdir("/d")
            io.writeFile("/d/a.txt", "12345")
            local ok, list = io.lsdir("/d")
            log.info("ls", ok, #list, list[1].name, list[1].size, list[1].type)
            log.info("fs", fs.fsize("/d/a.txt"), fs.fsize("/none"), (fs.fsstat("/")), select(4, fs.fsstat("/")))
            log.info("rm", io.rmdir("/d"), os.remove("/d/a.txt"), io.rmdir("/d"), io.exists("/d/a.txt"))
            log.info("gone", tostring(os.exit), tostring(io.popen), tostring(string.dump))
            """)
        #expect(report.taskErrors.isEmpty, "\(report.taskErrors)")
        #expect(Self.line(report, "ls") == "true\t1\ta.txt\t5\t0")
        #expect(Self.line(report, "fs") == "5\t0\ttrue\t4096\tlfs")
        #expect(Self.line(report, "rm") == "false\ttrue\ttrue\tfalse")
        #expect(Self.line(report, "gone") == "nil\tnil\tnil")
    }

    @Test("the embedded manifest parses: modules, full-only lines, constants")
    func manifestParses() async {
        let report = await RuntimeHarness.run("""
            log.info("k", pm.PWK_MODE, uart.VUART_0, adc.CH_VBAT, log.LOG_SILENT, zbuff.SEEK_END, socket.LWIP_GP)
            """)
        #expect(Self.line(report, "k") == "5\t32\t-2\t7\t2\t1")
    }
}
