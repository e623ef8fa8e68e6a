import BoardSim
import Foundation
import QA
import Testing
import Vocabulary

/// The QA script survives what real firmware does to it: a Lua error inside a check (which would
/// otherwise escape the task and reboot-loop the board, LuatOS script/corelib/sys.lua), a module
/// the build lacks (`miniz` on non-_FULL V1112, luatos-soc-2022 luat_conf_bsp.h), and an
/// `IP_READY` that fired before the task subscribed (LuatOS luat_lib_socket.c `socket.adapter`);
/// and the verdict follows the plan's `unavailableChecks` policy.
@Suite("QA script guards and unavailable checks")
struct QAScriptGuardTests {
    /// A copy of the QA script folder whose `main.lua` starts with `prefix`, standing in for a
    /// firmware that differs from the simulated one (a missing module, a failing API).
    static func patchedScript(_ prefix: String) throws -> String {
        let folder = NSTemporaryDirectory() + "qa-script-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let main = try String(contentsOfFile: QALoop.scriptFolder + "/main.lua", encoding: .utf8)
        try (prefix + "\n" + main).write(toFile: folder + "/main.lua", atomically: true, encoding: .utf8)
        return folder
    }

    static func server() async throws -> QAServer {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        return server
    }

    // MARK: - On a simulated board

    @Test("a Lua error inside a check is a failed check with its message; the script carries on and reports")
    func luaErrorInACheck() async throws {
        let server = try await Self.server()
        defer { Task { await server.stop() } }
        let folder = try Self.patchedScript(#"string.urlEncode = function() error("urlEncode exploded") end"#)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.formPost, .get]), scriptFolder: folder)

        #expect(run.evidence.report != nil, "the report must still arrive")
        #expect(!run.verdict.pass)
        #expect(run.verdict.failure == .scriptError)
        let form = try #require(run.verdict.checks.first { $0.check == "form_post" })
        #expect(form.failure == .scriptError)
        #expect(form.detail.contains("urlEncode exploded"), "\(form.detail)")
        #expect(run.verdict.checks.first { $0.check == "get" }?.pass == true, "the next check still ran")
        let reported = try #require(run.evidence.report?.checks.first { $0.name == "form_post" })
        #expect(reported.code == QAScriptCode.scriptError)
        let events = QABoardEvent.parse(run.report.vuart)
        #expect(events.contains { $0.ev == "check" && $0.name == "form_post" && $0.detail?.contains("urlEncode exploded") == true })
        #expect(events.last?.ev == "done")
    }

    @Test("without miniz the gzip check is unavailable: policy fail fails the board naming miniz, skip does not count it")
    func gzipWithoutMiniz() async throws {
        let server = try await Self.server()
        defer { Task { await server.stop() } }
        let folder = try Self.patchedScript("miniz = nil  -- a non-_FULL V1112 build")
        defer { try? FileManager.default.removeItem(atPath: folder) }

        var plan = QALoop.fastPlan(checks: [.get, .gzip])
        let failing = try await QALoop.run(server: server, plan: plan, scriptFolder: folder)
        #expect(!failing.verdict.pass)
        #expect(failing.verdict.failure == .unavailableOnFirmware)
        let gzip = try #require(failing.verdict.checks.first { $0.check == "gzip" })
        #expect(gzip.failure == .unavailableOnFirmware && gzip.detail.contains("unavailable on this firmware: miniz"), "\(gzip)")
        let event = try #require(QABoardEvent.parse(failing.report.vuart).first { $0.ev == "check" && $0.name == "gzip" })
        #expect(event.unavailable == true)
        #expect(event.detail == "unavailable on this firmware: miniz")
        #expect(failing.evidence.report?.checks.first { $0.name == "gzip" }?.unavailable == true)
        #expect(!failing.evidence.observations.contains { $0.check == "gzip" }, "an unavailable check makes no request")

        plan.unavailableChecks = .skip
        let skipping = try await QALoop.run(server: server, plan: plan, scriptFolder: folder)
        #expect(skipping.verdict.pass, "\(skipping.verdict)")
        let skipped = try #require(skipping.verdict.checks.first { $0.check == "gzip" })
        #expect(skipped.unavailable == true && skipped.failure == nil)
        #expect(skipped.detail.contains("not counted"))
        #expect(QABoardEvent.parse(skipping.report.vuart).last { $0.ev == "done" }?.pass == true)
    }

    @Test("with miniz present the gzip check runs and passes as before")
    func gzipWithMiniz() async throws {
        let server = try await Self.server()
        defer { Task { await server.stop() } }
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.gzip]))
        #expect(run.verdict.pass, "\(run.verdict)")
        #expect(run.verdict.checks.first?.unavailable == nil)
    }

    /// The "adapter already up" order runs on the real simulated board in
    /// QAFirmwareFidelityTests.bothAttachOrders; here only the "down" answer is stubbed.
    @Test("socket.adapter() saying the network is down: the script waits for IP_READY, which never comes")
    func adapterDown() async throws {
        let server = try await Self.server()
        defer { Task { await server.stop() } }
        var faults = NetworkFaults()
        faults.noAttach = true
        // socket.adapter() saying no: the script waits for IP_READY, which never comes.
        let down = try Self.patchedScript("socket = { adapter = function() return false, 1 end }")
        defer { try? FileManager.default.removeItem(atPath: down) }
        let waiting = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get]), faults: faults, scriptFolder: down)
        #expect(waiting.verdict.failure == .noNetworkAttach)
    }

    // MARK: - The verdict alone (a board's signed report)

    static func report(_ server: QAServer, plan: QAPlan, checks: [[String: Any]]) async throws -> QAVerdict {
        let ticket = await server.createSession(boardID: "policy", plan: plan)
        var made: [[String: Any]] = []
        for check in checks {
            var c = check
            if c["name"] as? String == "get" {
                // A real GET, so the server has its evidence.
                let answer = try await QARangeTests.get(ticket.sessionURL + "/get", key: ticket.key)
                let (status, body) = (answer.status, answer.body)
                #expect(status == 200)
                c["hash"] = QAContent.sha256(body)
            }
            made.append(c)
        }
        let status = try await QARangeTests.signedReport(ticket, checks: made, downloadSHA256: nil)
        #expect(status == 200)
        return try #require(await server.verdict(sessionID: ticket.sessionID))
    }

    static var unavailableGzip: [String: Any] { ["name": "gzip", "code": QAScriptCode.unavailable, "ms": 0, "ok": false,
                                                 "unavailable": true, "detail": "unavailable on this firmware: miniz"] }
    static var goodGet: [String: Any] { ["name": "get", "code": 200, "ms": 5, "ok": true] }

    @Test("verdict, policy fail: an unavailable check fails the board with the reason")
    func policyFail() async throws {
        let server = try await Self.server()
        defer { Task { await server.stop() } }
        let verdict = try await Self.report(server, plan: QAPlan(checks: [.get, .gzip], unavailableChecks: .fail),
                                            checks: [Self.goodGet, Self.unavailableGzip])
        #expect(!verdict.pass)
        #expect(verdict.failure == .unavailableOnFirmware)
        let gzip = try #require(verdict.checks.last)
        #expect(gzip.check == "gzip" && !gzip.pass && gzip.detail.contains("miniz") && gzip.detail.contains("\"fail\""))
        #expect(verdict.checks.first?.pass == true)
    }

    @Test("verdict, policy skip: an unavailable check is recorded and not counted; a check that cannot be unavailable still fails")
    func policySkip() async throws {
        let server = try await Self.server()
        defer { Task { await server.stop() } }
        let plan = QAPlan(checks: [.get, .gzip], unavailableChecks: .skip)
        let verdict = try await Self.report(server, plan: plan, checks: [Self.goodGet, Self.unavailableGzip])
        #expect(verdict.pass, "\(verdict)")
        let gzip = try #require(verdict.checks.last)
        #expect(gzip.unavailable == true && gzip.pass && gzip.failure == nil)

        // `get` needs nothing a firmware may lack: a board calling it unavailable fails even under skip.
        let claim: [String: Any] = ["name": "get", "code": QAScriptCode.unavailable, "ms": 0, "ok": false,
                                    "unavailable": true, "detail": "unavailable on this firmware: http"]
        let ticket = await server.createSession(boardID: "claim", plan: QAPlan(checks: [.get], unavailableChecks: .skip))
        #expect(try await QARangeTests.signedReport(ticket, checks: [claim], downloadSHA256: nil) == 200)
        let refused = try #require(await server.verdict(sessionID: ticket.sessionID))
        #expect(!refused.pass)
        #expect(refused.failure == .unavailableOnFirmware)
    }

    @Test("the new failure classes keep stable machine names")
    func failureCodes() throws {
        for failure in [FailureClass.scriptError, .unavailableOnFirmware] {
            #expect(try FailureClass(validating: failure.rawValue) == failure)
        }
        #expect(FailureClass.scriptError.rawValue == "script_error")
        #expect(FailureClass.unavailableOnFirmware.rawValue == "unavailable_on_firmware")
    }
}
