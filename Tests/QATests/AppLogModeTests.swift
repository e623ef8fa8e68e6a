import BoardSim
import Foundation
import LuaImage
import QA
import Testing

@Suite("App-log verification mode")
struct AppLogModeTests {
    /// A LuatOS-style demo in the manner of the official HTTP demo: GET, then `log.info("http.get", code, …)`.
    static func demo(url: String) -> String {
        """
        local sys = require("sys")
        require("sysplus")
        sys.taskInit(function()
            sys.waitUntil("IP_READY")
            local code, headers, body = http.request("GET", "\(url)").wait()
            log.info("http.get", code, headers, body and #body)
            log.info("sys", rtos.meminfo("sys"))
        end)
        sys.run()
        """
    }

    static func run(_ source: String) async -> [LuatOSLogRecord] {
        let collector = Collector()
        var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory() + "applog-" + UUID().uuidString)
        settings.attachDelay = .milliseconds(5)
        let runtime = LuatOSRuntime(files: [LuaDBFile(name: "main.lua", bytes: Array(source.utf8))],
                                    identity: .simulated(5), settings: settings,
                                    ports: RuntimePorts(socLog: { await collector.append($0) }))
        _ = await runtime.run(for: .seconds(10))
        try? FileManager.default.removeItem(atPath: settings.sandboxDirectory)
        // Decoded from the x.2 bytes, as the station would read the port.
        return LuatOSLogDecoder.decode(await collector.bytes)
    }

    actor Collector {
        var bytes: [UInt8] = []
        func append(_ b: [UInt8]) { bytes += b }
    }

    @Test("the demo logging http.get 200 passes")
    func demoPasses() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "app")
        let records = await Self.run(Self.demo(url: ticket.sessionURL + "/get"))
        #expect(records.contains { $0.module == "user.http.get" && $0.arguments.first == "200" })
        let expectations = try AppLogVerifier.load(QALoop.scriptFolder + "/app-log.json")
        let result = AppLogVerifier.verdict(records: records, expectations: expectations)
        #expect(result.pass, "\(result.checks)")
    }

    @Test("the demo logging a negative code fails with that library error")
    func demoFails() async throws {
        let records = await Self.run(Self.demo(url: "http://127.0.0.1:1/"))
        let result = AppLogVerifier.verdict(records: records, expectations: [AppLogExpectation(tag: "http.get")])
        #expect(!result.pass)
        // A refused connection: -5 by the default FirmwareHTTPBehaviour (the 2023 client).
        #expect(result.checks.first?.failure == .httpLibraryError(code: FirmwareHTTPBehaviour().connectFailure.rawValue))
    }

    @Test("a script error in the log fails the app-log verdict even when the line is there")
    func scriptErrorFails() {
        let records = LuatOSLogDecoder.decode(Array("I/user.http.get\t200\nE/user.coroutine.resume\tmain.lua:3: boom\n".utf8))
        let result = AppLogVerifier.verdict(records: records, expectations: [AppLogExpectation(tag: "http.get")])
        #expect(!result.pass)
        #expect(result.checks.last?.check == "lua_errors")
    }
}
