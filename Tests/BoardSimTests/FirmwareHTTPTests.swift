import BoardSim
import Crypto
import Firmware
import Foundation
import Links
import LuaImage
import TestSupport
import Testing

/// The simulated board's HTTP client against real loopback servers: re-requests with `Range`
/// after a drop, the one-shot timer, `dst`, and what it may reach.
@Suite("Firmware HTTP client: Range re-requests, timer, dst")
struct FirmwareHTTPResumeTests {
    static let content = (0..<40_960).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
    static var contentSHA: String { SHA256.hash(data: content).map { String(format: "%02X", $0) }.joined() }

    static func app(_ url: String, opts: String = "nil") -> String {
        """
        sys.taskInit(function()
            sys.waitUntil("IP_READY")
            local code, headers, body = http.request("GET", "\(url)", nil, nil, \(opts)).wait()
            if type(body) == "string" then
                log.info("got", code, #body, crypto.sha256(body))
            else
                log.info("got", code, tostring(body))
            end
        end)
        """
    }

    @Test("a drop mid-body is re-requested with Range and the parts are appended: the board has every byte")
    func resumesAfterADrop() async throws {
        let server = try ScriptedServer { seen in [.send(ScriptedServer.ranged(Self.content, seen)), .close] }
        var faults = NetworkFaults()
        faults.cutResponses = .init(marker: "/file", afterBytes: 10_000, times: 1)
        let report = await RuntimeHarness.run(Self.app("http://127.0.0.1:\(server.port)/file"),
                                              settings: RuntimeHarness.settings(faults: faults))
        #expect(server.seen.map(\.range) == [nil, "bytes=10000-"])
        #expect(report.logLines.contains("I/user.got\t206\t40960\t\(Self.contentSHA)"), "\(report.logLines)")
        #expect(report.logLines.contains("I/http re-request 1 with Range: bytes=10000-"))
    }

    @Test("more drops than HTTP_RE_REQUEST_MAX: -5 after three re-requests")
    func givesUpAfterThreeReRequests() async throws {
        let server = try ScriptedServer { seen in [.send(ScriptedServer.ranged(Self.content, seen)), .close] }
        var faults = NetworkFaults()
        faults.cutResponses = .init(marker: "/file", afterBytes: 5_000, times: 4)
        let report = await RuntimeHarness.run(Self.app("http://127.0.0.1:\(server.port)/file"),
                                              settings: RuntimeHarness.settings(faults: faults))
        #expect(server.seen.count == 4)
        #expect(server.seen.last?.range == "bytes=15000-")
        #expect(report.logLines.contains("I/user.got\t-5\tnil"), "\(report.logLines)")
    }

    @Test("a server that ignores Range gets the whole body appended again, as the firmware does no check")
    func serverIgnoringRangeCorruptsTheBody() async throws {
        let server = try ScriptedServer { _ in
            [.send(ScriptedServer.answer(200, "OK", body: Self.content)), .close]
        }
        var faults = NetworkFaults()
        faults.cutResponses = .init(marker: "/file", afterBytes: 10_000, times: 1)
        let report = await RuntimeHarness.run(Self.app("http://127.0.0.1:\(server.port)/file"),
                                              settings: RuntimeHarness.settings(faults: faults))
        let doubled = Array(Self.content.prefix(10_000)) + Self.content
        let sha = SHA256.hash(data: doubled).map { String(format: "%02X", $0) }.joined()
        #expect(report.logLines.contains("I/user.got\t200\t\(doubled.count)\t\(sha)"), "\(report.logLines)")
    }

    @Test("the one-shot timer is not restarted: once it fired after the headers, the re-request waits as long as it takes")
    func timerIsNotRestarted() async throws {
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(Self.content.count)\r\n\r\n".utf8)
        let server = try ScriptedServer { seen in
            if seen.range == nil {
                // Headers and a part, then silence far beyond the request's timeout.
                return [.send(head + Array(Self.content.prefix(5_000))), .pause(.seconds(8)), .close]
            }
            // The re-request is answered only after more than a whole timeout.
            return [.pause(.milliseconds(2_500)), .send(ScriptedServer.ranged(Self.content, seen)), .close]
        }
        let report = await RuntimeHarness.run(Self.app("http://127.0.0.1:\(server.port)/file", opts: "{ timeout = 1500 }"),
                                              limit: .seconds(30))
        #expect(server.seen.map(\.range) == [nil, "bytes=5000-"])
        #expect(report.logLines.contains("I/user.got\t206\t40960\t\(Self.contentSHA)"), "\(report.logLines)")
    }

    @Test("opts.dst: the resumed download lands whole in the file and .wait() gives its size")
    func downloadToFileResumes() async throws {
        let server = try ScriptedServer { seen in [.send(ScriptedServer.ranged(Self.content, seen)), .close] }
        var faults = NetworkFaults()
        faults.cutResponses = .init(marker: "/file", afterBytes: 12_345, times: 2)
        let report = await RuntimeHarness.run("""
            sys.taskInit(function()
                sys.waitUntil("IP_READY")
                local code, _, size = http.request("GET", "http://127.0.0.1:\(server.port)/file", nil, nil, { dst = "/dl.bin" }).wait()
                log.info("dst", code, size, crypto.md_file("SHA256", "/dl.bin"))
            end)
            """, settings: RuntimeHarness.settings(faults: faults))
        #expect(server.seen.map(\.range) == [nil, "bytes=12345-", "bytes=24690-"])
        #expect(report.logLines.contains("I/user.dst\t206\t40960\t\(Self.contentSHA)"), "\(report.logLines)")
    }

    @Test("a request made before the attach waits for the link; without an attach it ends -8 at its timeout")
    func requestWaitsForTheLink() async throws {
        let server = try ScriptedServer { _ in [.send(ScriptedServer.answer(200, "OK", body: Array("hi".utf8))), .close] }
        let app = """
            sys.taskInit(function()
                log.info("early", (http.request("GET", "http://127.0.0.1:\(server.port)/", nil, nil, { timeout = 5000 }).wait()))
            end)
            """
        let attached = await RuntimeHarness.run(app, settings: RuntimeHarness.settings(attachMs: 300))
        #expect(attached.logLines.contains("I/user.early\t200"), "\(attached.logLines)")
        let ipReady = attached.logLines.firstIndex(of: "D/mobile NETIF_LINK_ON -> IP_READY")
        let early = attached.logLines.firstIndex(of: "I/user.early\t200")
        #expect(ipReady != nil && early != nil && ipReady! < early!)

        var faults = NetworkFaults()
        faults.noAttach = true
        let never = await RuntimeHarness.run(app.replacingOccurrences(of: "5000", with: "200"),
                                             settings: RuntimeHarness.settings(faults: faults))
        #expect(never.logLines.contains("I/user.early\t-8"), "\(never.logLines)")
        #expect(server.connections == 1)
    }
}

@Suite("Firmware HTTP client: a network contained to this machine")
struct SimulatedNetworkTests {
    @Test("an unmapped name fails like a DNS failure and no connection is attempted; an off-machine address is never dialled")
    func unmappedNamesGoNowhere() async {
        let report = await RuntimeHarness.run("""
            sys.taskInit(function()
                sys.waitUntil("IP_READY")
                log.info("name", (http.request("GET", "http://www.example.com/").wait()))
                log.info("addr", (http.request("GET", "http://192.0.2.7:8080/").wait()))
            end)
            """)
        #expect(report.logLines.contains("I/user.name\t-5"), "\(report.logLines)")
        #expect(report.logLines.contains("I/user.addr\t-5"))
        #expect(report.logLines.contains { $0.contains("www.example.com did not resolve") })
        #expect(report.connections.isEmpty)
    }

    @Test("a mapped name reaches the local server it is mapped to, with its own Host header")
    func mappedNameReachesTheLocalServer() async throws {
        let server = try ScriptedServer { _ in [.send(ScriptedServer.answer(200, "OK", body: Array("ok".utf8))), .close] }
        var settings = RuntimeHarness.settings()
        try settings.network.map("httpbin.air32.cn", to: .init(host: "127.0.0.1", port: server.port))
        let report = await RuntimeHarness.run("""
            sys.taskInit(function()
                sys.waitUntil("IP_READY")
                log.info("mapped", http.request("POST", "http://HTTPBIN.air32.cn/post", nil, "a=1").wait())
            end)
            """, settings: settings)
        #expect(report.logLines.contains { $0.hasPrefix("I/user.mapped\t200\t") && $0.hasSuffix("\tok") }, "\(report.logLines)")
        #expect(report.connections == ["127.0.0.1:\(server.port)"])
        #expect(server.seen.first?.headers["host"] == "HTTPBIN.air32.cn")
        #expect(server.seen.first?.headers["content-length"] == "3")
    }

    @Test("a mapping to an address off this machine is refused")
    func mappingsStayLocal() {
        var network = SimulatedNetwork()
        #expect(throws: SimulatedNetworkError.self) { try network.map("qa.example", to: .init(host: "10.0.0.5", port: 80)) }
        #expect(throws: SimulatedNetworkError.self) { try network.map("qa.example", to: .init(host: "example.org", port: 80)) }
        #expect(throws: SimulatedNetworkError.self) { try network.map("bad name", to: .init(host: "127.0.0.1", port: 80)) }
        #expect(throws: Never.self) { try network.map("qa.example", to: .init(host: "127.0.0.2", port: 8080)) }
        #expect(network.route(host: "QA.example", port: 80) == .connect(.init(host: "127.0.0.2", port: 8080)))
        #expect(network.route(host: "localhost", port: 81) == .connect(.init(host: "127.0.0.1", port: 81)))
        #expect(network.route(host: "203.0.113.9", port: 80) == .offMachine)
        #expect(network.route(host: "other.example", port: 80) == .unknownName)
    }

    @Test("methods other than GET/POST/PUT and an upper-case scheme cannot start: -4 at once")
    func requestsThatCannotStart() async {
        let report = await RuntimeHarness.run("""
            sys.taskInit(function()
                sys.waitUntil("IP_READY")
                log.info("delete", (http.request("DELETE", "http://127.0.0.1:1/").wait()))
                log.info("scheme", (http.request("GET", "HTTP://127.0.0.1:1/").wait()))
            end)
            """)
        #expect(report.logLines.contains("I/user.delete\t-4"), "\(report.logLines)")
        #expect(report.logLines.contains("I/user.scheme\t-4"))
        #expect(report.connections.isEmpty)
    }
}

@Suite("Firmware TLS: mbedTLS 2.28 with a CA")
struct FirmwareTLSTests {
    static func fetch(_ url: String, ca: TestCertificate?, settings: RuntimeSettings = RuntimeHarness.settings()) async -> LuatOSRuntime.Report {
        let caArgument = ca.map { "[==[\($0.certificatePEM)]==]" } ?? "nil"
        return await RuntimeHarness.run("""
            sys.taskInit(function()
                sys.waitUntil("IP_READY")
                log.info("tls", (http.request("GET", "\(url)", nil, nil, { timeout = 10000 }, \(caArgument)).wait()))
            end)
            """, settings: settings)
    }

    static func server(_ identity: TestCertificate) throws -> ScriptedServer {
        try ScriptedServer(tls: identity) { _ in [.send(ScriptedServer.answer(200, "OK", body: Array("secure".utf8))), .close] }
    }

    @Test("a certificate for an IP only in an IP SAN fails: 2.28 matches DNS names only")
    func ipOnlySANFails() async throws {
        let identity = try TestCertificate.make(sans: [.ip([127, 0, 0, 1])])
        let server = try Self.server(identity)
        let report = await Self.fetch("https://127.0.0.1:\(server.port)/", ca: identity)
        #expect(report.logLines.contains("I/user.tls\t-5"), "\(report.logLines)")
        #expect(report.logLines.contains { $0.contains("BADCERT_CN_MISMATCH") })
        // Without a CA the firmware does not verify at all.
        let unverified = await Self.fetch("https://127.0.0.1:\(server.port)/", ca: nil)
        #expect(unverified.logLines.contains("I/user.tls\t200"), "\(unverified.logLines)")
    }

    @Test("the IP written as a DNS name passes, as does a mapped name in the SAN")
    func dnsNamesPass() async throws {
        let identity = try TestCertificate.make(sans: [.dns("127.0.0.1"), .ip([127, 0, 0, 1]), .dns("qa.line.example")])
        let server = try Self.server(identity)
        let byIP = await Self.fetch("https://127.0.0.1:\(server.port)/", ca: identity)
        #expect(byIP.logLines.contains("I/user.tls\t200"), "\(byIP.logLines)")
        var settings = RuntimeHarness.settings()
        try settings.network.map("qa.line.example", to: .init(host: "127.0.0.1", port: server.port))
        let byName = await Self.fetch("https://qa.line.example/", ca: identity, settings: settings)
        #expect(byName.logLines.contains("I/user.tls\t200"), "\(byName.logLines)")
        let wrongName = await Self.fetch("https://localhost:\(server.port)/", ca: identity)
        #expect(wrongName.logLines.contains("I/user.tls\t-5"))
    }

    @Test("a certificate dated today fails on a board whose clock is still at its power-on value, and passes once it is set")
    func datesAgainstTheBoardClock() async throws {
        let identity = try TestCertificate.make(sans: [.dns("127.0.0.1")], notBefore: Date().addingTimeInterval(-3600))
        let server = try Self.server(identity)
        let early = await Self.fetch("https://127.0.0.1:\(server.port)/", ca: identity)
        #expect(early.logLines.contains("I/user.tls\t-5"), "\(early.logLines)")
        #expect(early.logLines.contains { $0.contains("BADCERT_FUTURE") })
        var settings = RuntimeHarness.settings()
        settings.clockAtBoot = Date()
        let synced = await Self.fetch("https://127.0.0.1:\(server.port)/", ca: identity, settings: settings)
        #expect(synced.logLines.contains("I/user.tls\t200"), "\(synced.logLines)")
    }

    @Test("a certificate the CA did not issue is not trusted")
    func otherCANotTrusted() async throws {
        let served = try TestCertificate.make(sans: [.dns("127.0.0.1")])
        let other = try TestCertificate.make(sans: [.dns("127.0.0.1")])
        let server = try Self.server(served)
        let report = await Self.fetch("https://127.0.0.1:\(server.port)/", ca: other)
        #expect(report.logLines.contains("I/user.tls\t-5"), "\(report.logLines)")
        #expect(report.logLines.contains { $0.contains("BADCERT_NOT_TRUSTED") })
    }
}

@Suite("Firmware errors: a Lua error ends the VM and reboots the board")
struct FirmwareErrorTests {
    @Test("an error in a task is logged, raised again 500 ms later, ends the VM and reboots after the exit delay")
    func taskErrorReboots() async {
        let started = ContinuousClock.now
        let report = await RuntimeHarness.run("""
            sys.taskInit(function() sys.wait(10) error("boom") end)
            sys.taskInit(function() while true do sys.wait(100) end end)
            """)
        guard case .vmExited(let why) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(why.contains("boom"))
        #expect(ContinuousClock.now - started >= .milliseconds(600))
        let resume = report.logLines.firstIndex { $0.hasPrefix("E/user.coroutine.resume") && $0.contains("boom") }
        let exit = report.logLines.firstIndex(of: "E/main Lua VM exit!! reboot in 100ms")
        #expect(resume != nil && exit != nil && resume! < exit!, "\(report.logLines)")
        #expect(report.logLines.contains("E/main Luat: "))
    }

    @Test("an error in a timer callback or at the top of main ends the VM at once")
    func callbackAndMainErrors() async {
        let timer = await RuntimeHarness.run(#"sys.timerStart(function() error("tick") end, 20)"#)
        guard case .vmExited(let why) = timer.outcome else { Issue.record("\(timer.outcome)"); return }
        #expect(why.contains("tick"))
        #expect(!timer.logLines.contains { $0.hasPrefix("E/user.coroutine.resume") })
        let main = await RuntimeHarness.run(#"local x = nil; x.y = 1"#)
        guard case .vmExited = main.outcome else { Issue.record("\(main.outcome)"); return }
        #expect(main.logLines.contains("E/main Lua VM exit!! reboot in 100ms"))
    }

    @Test("attached before main: IP_READY is published once and a task that subscribes later waits its whole budget")
    func ipReadyBeforeMain() async {
        var settings = RuntimeHarness.settings()
        settings.attachesBeforeMain = true
        let app = #"sys.taskInit(function() log.info("ip", (sys.waitUntil("IP_READY", 300))) end)"#
        let early = await RuntimeHarness.run(app, settings: settings)
        #expect(early.logLines.contains("I/user.ip\tfalse"), "\(early.logLines)")
        let late = await RuntimeHarness.run(app)
        #expect(late.logLines.contains("I/user.ip\ttrue"), "\(late.logLines)")
    }
}

@Suite("Firmware errors on a whole board: the board leaves the bus and runs main again")
struct DeviceSideRebootTests {
    /// Collects what the board and its bus did, in order.
    final class Trail: Sendable {
        private let events = Shared<[String]>([])
        func add(_ event: String) { events.withLock { $0.append(event) } }
        var all: [String] { events.withLock { $0 } }
    }

    @Test("a Lua error in a task: x.2 shows the VM exit, the board re-enumerates and main runs again")
    func luaErrorRebootsTheBoard() async throws {
        let app = """
            local sys = require("sys")
            sys.taskInit(function() log.info("app", "start") sys.wait(20) error("boom") end)
            sys.run()
            """
        let image = try ScriptImageBuilder.build(
            inputs: [ScriptInput(path: "main.lua", name: "main.lua", bytes: Array(app.utf8))],
            options: ScriptImageOptions(capacity: 64 * 1024))
        let partition = ScriptPartition(flashOffset: 0x2C_C000, capacity: 64 * 1024)
        var ap = [UInt8](repeating: 0xFF, count: 4 * 1024 * 1024)
        ap.replaceSubrange(Int(partition.flashOffset)..<(Int(partition.flashOffset) + image.bytes.count), with: image.bytes)

        let trail = Trail()
        let logs = Shared<[UInt8]>([])
        let bus = PseudoTerminalBus { shape in
            switch shape {
            case .running(let socLog, _, _):
                trail.add("running")
                // The host side reads x.2 as a station would.
                Task {
                    guard let port = try? SerialLink.open(path: socLog, baud: 921_600) else { return }
                    while let bytes = try? await port.read(maxCount: 4096, deadline: .now + .seconds(5)) {
                        logs.withLock { $0 += bytes }
                    }
                }
            case .detached: trail.add("detached")
            case .download: trail.add("download")
            }
        }
        var runtime = RuntimeSettings(sandboxDirectory: RuntimeHarness.sandbox())
        runtime.attachDelay = .milliseconds(20)
        runtime.exitRebootDelay = .milliseconds(300)
        var settings = DeviceSideBoard.Settings(identity: .simulated(3), runtime: runtime, scriptPartition: partition)
        settings.flash = SimulatedBoard.FlashContents(ap: ap, cp: [])
        settings.resetGap = .milliseconds(50)
        let board = DeviceSideBoard(bus: bus, settings: settings) { event in trail.add("\(event)") }
        let life = Task { await board.run(from: .running) }
        // Two boots and the reboot between them; bounded so a board that never reboots fails.
        let deadline = ContinuousClock.now + .seconds(20)
        // Until the second boot's log reached the host too (its reader may lag on a busy machine).
        func mainRuns() -> Int {
            String(decoding: logs.withLock { $0 }, as: UTF8.self).components(separatedBy: "I/user.app").count - 1
        }
        while (trail.all.filter({ $0 == "running" }).count < 2 || mainRuns() < 2) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        life.cancel()
        await life.value
        let events = trail.all
        let first = try #require(events.firstIndex(of: "running"))
        #expect(events[first...].contains("appRebooted"), "\(events)")
        #expect(events.filter { $0 == "running" }.count >= 2, "\(events)")
        let text = String(decoding: logs.withLock { $0 }, as: UTF8.self)
        #expect(text.contains("Lua VM exit!! reboot in 300ms"), "\(text.suffix(500))")
        #expect(text.components(separatedBy: "I/user.app").count - 1 >= 2, "main ran again: \(text.suffix(800))")
    }
}
