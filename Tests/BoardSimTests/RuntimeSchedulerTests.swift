import BoardSim
import Foundation
import LuaImage
import Links
import TestSupport
import Testing

@Suite("Runtime: sys scheduler, log, board APIs")
struct RuntimeSchedulerTests {
    @Test("tasks, waits, timers and topics run in LuatOS order; IP_READY arrives after the attach delay")
    func schedulerOrder() async {
        let report = await RuntimeHarness.run("""
            local sys = require("sys")
            local order = {}
            sys.subscribe("PING", function(a, b) order[#order + 1] = "sub:" .. a .. b end)
            sys.timerStart(function(x) order[#order + 1] = "timer:" .. x end, 200, "t")
            sys.taskInit(function()
                order[#order + 1] = "task-start"
                local ok, ip = sys.waitUntil("IP_READY", 5000)
                order[#order + 1] = "ip:" .. tostring(ok) .. ":" .. tostring(ip)
                sys.publish("PING", "a", "b")
                sys.wait(400)
                local got = sys.waitUntil("NEVER", 10)
                order[#order + 1] = "timeout:" .. tostring(got)
                log.info("order", table.concat(order, ","))
            end)
            sys.run()
            """, settings: RuntimeHarness.settings(attachMs: 5))
        #expect(report.outcome == .idle)
        #expect(report.taskErrors.isEmpty)
        #expect(report.logLines.contains("I/user.order\ttask-start,ip:true:10.0.0.2,sub:ab,timer:t,timeout:false"))
    }

    @Test("no attach: waitUntil(IP_READY) times out and the run ends idle")
    func noAttach() async {
        var faults = NetworkFaults()
        faults.noAttach = true
        let report = await RuntimeHarness.run("""
            sys.taskInit(function()
                log.warn("net", sys.waitUntil("IP_READY", 30))
            end)
            """, settings: RuntimeHarness.settings(faults: faults))
        #expect(report.logLines.contains("W/user.net\tfalse"))
        #expect(report.outcome == .idle)
    }

    @Test("an API the firmware lacks is nil: calling it is Lua's own error, naming the field")
    func missingIsNil() async {
        let report = await RuntimeHarness.run("""
            sys.taskInit(function() wlan.connect("ssid", "pw") end)
            sys.taskInit(function() mobile.signal() end)
            """)
        #expect(report.taskErrors.count == 2)
        #expect(report.taskErrors.contains { $0.contains("field 'connect'") })
        #expect(report.taskErrors.contains { $0.contains("field 'signal'") })
        #expect(report.logLines.contains { $0.hasPrefix("E/user.coroutine.resume") && $0.contains("connect") })
    }

    @Test("sys.wait outside a task is refused like on the board")
    func waitOutsideTask() async {
        let report = await RuntimeHarness.run("sys.wait(10)")
        guard case .vmExited(let why) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(why.contains("inside a task"))
    }

    @Test("crypto returns uppercase hex like LuatOS; string.toHex/urlEncode; json round trip")
    func cryptoAndStrings() async {
        let report = await RuntimeHarness.run("""
            log.info("sha", crypto.sha256("abc"))
            log.info("hmac", crypto.hmac_sha256("abc", "1234567890"))
            log.info("hex", string.toHex("\\x01\\xAB"))
            log.info("url", string.urlEncode("a b&c=中"))
            local t = json.decode(json.encode({ n = 5, s = "x\\"y", l = { 1, 2, 3 }, b = true }))
            log.info("json", t.n, t.s, #t.l, t.l[3], t.b, math.type(t.n))
            local bad, ok = json.decode("{nope")
            log.info("badjson", bad, ok)
            local z = miniz.compress(string.rep("abc", 100))
            log.info("miniz", #z < 300, miniz.uncompress(z) == string.rep("abc", 100))
            """)
        #expect(report.logLines.contains("I/user.sha\tBA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"))
        #expect(report.logLines.contains("I/user.hmac\t86055184805B4A466A7BE398FF4A7159F9055EA7EEF339FC94DCEC6F165898BA"))
        #expect(report.logLines.contains("I/user.hex\t01AB\t4"))
        #expect(report.logLines.contains("I/user.url\ta+b%26c%3D%E4%B8%AD"))
        #expect(report.logLines.contains("I/user.json\t5\tx\"y\t3\t3\ttrue\tinteger"))
        #expect(report.logLines.contains("I/user.badjson\tnil\tfalse"))
        #expect(report.logLines.contains("I/user.miniz\ttrue\ttrue"))
    }

    @Test("mobile answers with the board's identity; uart.VUART_0 goes to the x.6 sink")
    func identityAndVUART() async {
        let sink = ByteCollector()
        let identity = RuntimeIdentity(imei: "862011060000420", iccid: "89860022100000420001", csq: 21)
        let report = await RuntimeHarness.run("""
            uart.write(uart.VUART_0, mobile.imei() .. "," .. mobile.iccid() .. "," .. mobile.csq() .. "\\n")
            """, identity: identity, ports: RuntimePorts(vuart: { await sink.append($0) }))
        let expected = Array("862011060000420,89860022100000420001,21\n".utf8)
        #expect(report.vuart == expected)
        #expect(await sink.bytes == expected)
    }

    @Test("log records go to x.2 as 0x7E frames carrying the LuatOS text")
    func socLogFrames() async {
        let sink = ByteCollector()
        _ = await RuntimeHarness.run(#"log.info("http.get", 200, "a~b}")"#,
                                     ports: RuntimePorts(socLog: { await sink.append($0) }))
        let bytes = await sink.bytes
        let text = Array("I/user.http.get\t200\ta".utf8)
        // `~` and `}` inside a frame are escaped (AirM2M rule by default).
        let escapedTail: [UInt8] = text + [0x7D, 0x02, 0x62, 0x7D, 0x01, 0x7E]
        #expect(bytes.first == 0x7E)
        let found = bytes.indices.contains { start in
            start + escapedTail.count <= bytes.count && Array(bytes[start..<start + escapedTail.count]) == escapedTail
        }
        #expect(found)
    }

    @Test("the ports can be byte links: the host reads x.6 from a MemoryLink")
    func portsAsLinks() async throws {
        let (host, device) = MemoryLink.pair(name: "x.6")
        let report = await RuntimeHarness.run(#"uart.write(uart.VUART_0, "hello x6")"#,
                                              ports: .links(socLog: nil, vuart: device))
        #expect(report.vuart == Array("hello x6".utf8))
        let read = try await host.read(exactly: 8, deadline: .now + .seconds(2))
        #expect(read == Array("hello x6".utf8))
    }

    @Test("io stays in the sandbox: /luadb is read-only, .. is refused, files persist in /")
    func ioSandbox() async {
        let report = await RuntimeHarness.run("""
            log.info("w", io.writeFile("/data.txt", "hello"))
            log.info("r", io.readFile("/data.txt"), io.fileSize("/data.txt"), io.exists("/data.txt"))
            log.info("luadb", io.readFile("/luadb/extra.txt"))
            log.info("ro", io.open("/luadb/extra.txt", "w"))
            log.info("up", io.open("/../../etc/passwd", "r"))
            log.info("md", crypto.md_file("SHA256", "/data.txt"))
            """, extraFiles: [LuaDBFile(name: "extra.txt", bytes: Array("from flash".utf8))])
        #expect(report.logLines.contains("I/user.w\ttrue"))
        #expect(report.logLines.contains("I/user.r\thello\t5\ttrue"))
        #expect(report.logLines.contains("I/user.luadb\tfrom flash"))
        #expect(report.logLines.contains("I/user.ro\tnil\t/luadb is read-only: /luadb/extra.txt"))
        #expect(report.logLines.contains { $0.hasPrefix("I/user.up\tnil\tpath leaves the file system") })
        #expect(report.logLines.contains("I/user.md\t2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"))
    }

    @Test("EC618 bytecode in the LuaDB is turned back into host bytecode and runs; require finds modules")
    func bytecodeMain() async throws {
        let image = try ScriptImageBuilder.build(inputs: [
            ScriptInput(path: "main.lua", name: "main.lua",
                        bytes: Array(#"local m = require("helper") log.info("sum", m.add(40, 2), 7 // 2)"#.utf8)),
            ScriptInput(path: "helper.lua", name: "helper.lua",
                        bytes: Array("return { add = function(a, b) return a + b end }".utf8)),
        ], options: ScriptImageOptions(useLuac: true, useDebug: false))
        let files = try LuaDBReader.read(image.bytes)
        #expect(files.map(\.name) == ["main.luac", "helper.luac"])
        #expect(files[0].bytes.prefix(13) == [0x1B, 0x4C, 0x75, 0x61, 0x53, 0x00, 0x19, 0x93, 0x0D, 0x0A, 0x1A, 0x0A, 0x04])
        let settings = RuntimeHarness.settings()
        let runtime = LuatOSRuntime(files: files, identity: .simulated(1), settings: settings)
        let report = await runtime.run(for: .seconds(5))
        try? FileManager.default.removeItem(atPath: settings.sandboxDirectory)
        #expect(report.logLines.contains("I/user.sum\t42\t3"))
    }

    @Test("a board with no script logs the firmware's missing-main line")
    func noScript() async {
        let settings = RuntimeHarness.settings()
        let runtime = LuatOSRuntime(files: [LuaDBFile(name: "other.lua", bytes: Array("x=1".utf8))],
                                    identity: .simulated(1), settings: settings)
        let report = await runtime.run(for: .seconds(5))
        try? FileManager.default.removeItem(atPath: settings.sandboxDirectory)
        guard case .noScript = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(report.logLines.contains { $0.hasPrefix("E/main 未找到main.lua") })
    }

    @Test("the script partition is read from the AP flash image")
    func fromFlash() throws {
        let image = try LuaDBWriter.write([LuaDBFile(name: "main.lua", bytes: Array("print(1)".utf8))])
        var ap = [UInt8](repeating: 0xFF, count: 0x30_0000)
        ap.replaceSubrange(0x2C_C000..<(0x2C_C000 + image.count), with: image)
        let files = try LuatOSRuntime.scriptFiles(apFlash: ap, partition: .init(flashOffset: 0x2C_C000, capacity: 128 * 1024))
        #expect(files.first?.name == "main.lua")
        let blank = [UInt8](repeating: 0xFF, count: 0x30_0000)
        #expect(throws: (any Error).self) {
            try LuatOSRuntime.scriptFiles(apFlash: blank, partition: .init(flashOffset: 0x2C_C000, capacity: 128 * 1024))
        }
    }
}

@Suite("Runtime: http.request against local listeners")
struct RuntimeHTTPTests {
    @Test("opts.timeout expires as -8; a refused connection and a dropped one are -5")
    func errorCodes() async throws {
        // Connections sit in its backlog unanswered (TestSupport).
        let listener = try SilentListener()
        defer { listener.close() }
        var faults = NetworkFaults()
        faults.dropConnectionsMatching = "/dropme"
        let report = await RuntimeHarness.run("""
            sys.taskInit(function()
                sys.waitUntil("IP_READY")
                log.info("timeout", (http.request("GET", "http://127.0.0.1:\(listener.port)/", nil, nil, { timeout = 150 }).wait()))
                log.info("refused", (http.request("GET", "http://127.0.0.1:1/").wait()))
                log.info("dropped", (http.request("GET", "http://127.0.0.1:1/dropme").wait()))
            end)
            """, settings: RuntimeHarness.settings(faults: faults))
        #expect(report.logLines.contains("I/user.timeout\t-8"))
        // A refused connection is a network event with an error: -5 in the 2023 client (the
        // default of FirmwareHTTPBehaviour.connectFailure).
        #expect(report.logLines.contains("I/user.refused\t-5"))
        #expect(report.logLines.contains("I/user.dropped\t-5"))
    }

    @Test("http.request outside a task fails like the firmware (no waiting in the main chunk)")
    func requestOutsideTask() async {
        let report = await RuntimeHarness.run(#"local c = http.request("GET", "http://127.0.0.1:1/").wait()"#)
        guard case .vmExited(let why) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(why.contains("inside a task"))
    }
}

/// `rtos.reboot()` from a task whose timer fired after the 4G attach (nothing else pending) is a
/// reboot, not an idle app: the reboot's stop event was still queued when the loop looked.
@Suite struct RuntimeRebootTests {
    @Test(arguments: [20, 150]) func aRebootFromATaskIsAReboot(waitMs: Int) async throws {
        let app = "local sys = require(\"sys\")\nsys.taskInit(function() sys.wait(\(waitMs)) rtos.reboot() end)\nsys.run()\n"
        let image = try ScriptImageBuilder.build(
            inputs: [ScriptInput(path: "main.lua", name: "main.lua", bytes: Array(app.utf8))],
            options: ScriptImageOptions(capacity: 128 * 1024))
        var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory() + "reboot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: settings.sandboxDirectory) }
        settings.attachDelay = .milliseconds(50)
        let files = try LuaDBReader.parse(image.bytes, file: "script.bin").files
        let report = await LuatOSRuntime(files: files, identity: .simulated(1), settings: settings).run(for: .seconds(10))
        #expect(report.outcome == .rebooted("rtos.reboot"), "wait \(waitMs) ms: \(report.outcome)")
    }
}
