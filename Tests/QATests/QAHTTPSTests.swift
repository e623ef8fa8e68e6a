import BoardSim
import Foundation
import LuaImage
import QA
import Testing
import Vocabulary

/// A throw-away station certificate for 127.0.0.1, made as the station makes its own.
enum TestCertificate {
    static func make() throws -> QATLSIdentity { try QATLSIdentity.selfSigned(host: "127.0.0.1") }
}

@Suite("QA https check (station certificate given to the board as ca_file)")
struct QAHTTPSTests {
    @Test("the board fetches over https trusting the station certificate; the server records it")
    func httpsPasses() async throws {
        let identity = try TestCertificate.make()
        let server = QAServer(host: "127.0.0.1", port: 0, tls: identity)
        try await server.start()
        defer { Task { await server.stop() } }
        let plan = QALoop.fastPlan(checks: [.get, .https])
        let ticket = await server.createSession(boardID: "tls", plan: plan)
        #expect(ticket.httpsSessionURL?.hasPrefix("https://127.0.0.1:") == true)
        let image = try QAScriptImage.build(ticket: ticket, scriptFolder: QALoop.scriptFolder,
                                            options: ScriptImageOptions(), caPEM: identity.certificatePEM)
        var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory() + "qa-tls-" + UUID().uuidString)
        settings.attachDelay = .milliseconds(5)
        let runtime = LuatOSRuntime(files: try LuaDBReader.read(image.bytes), identity: .simulated(2), settings: settings)
        let report = await runtime.run(for: .seconds(30))
        try? FileManager.default.removeItem(atPath: settings.sandboxDirectory)
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID, boardEvents: QABoardEvent.parse(report.vuart)))
        #expect(verdict.pass, "\(verdict)")
        let evidence = try #require(await server.evidence(sessionID: ticket.sessionID))
        #expect(evidence.observations.contains { $0.check == "https" && $0.matched })
    }

    @Test("a board given another certificate cannot complete the https check")
    func wrongCertificateFails() async throws {
        let identity = try TestCertificate.make()
        let stranger = try TestCertificate.make()
        let server = QAServer(host: "127.0.0.1", port: 0, tls: identity)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "tls-bad", plan: QALoop.fastPlan(checks: [.https]))
        let image = try QAScriptImage.build(ticket: ticket, scriptFolder: QALoop.scriptFolder,
                                            options: ScriptImageOptions(), caPEM: stranger.certificatePEM)
        var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory() + "qa-tls-" + UUID().uuidString)
        settings.attachDelay = .milliseconds(5)
        let runtime = LuatOSRuntime(files: try LuaDBReader.read(image.bytes), identity: .simulated(2), settings: settings)
        let report = await runtime.run(for: .seconds(30))
        try? FileManager.default.removeItem(atPath: settings.sandboxDirectory)
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID, boardEvents: QABoardEvent.parse(report.vuart)))
        #expect(!verdict.pass)
        let failure = verdict.checks.first?.failure
        guard let failure, failure.name == FailureClass.httpLibraryError(code: 0).name, let code = failure.number else {
            Issue.record("expected a library error, got \(String(describing: verdict.checks.first))"); return
        }
        #expect(failure == .httpLibraryError(code: code))
        #expect(code < 0)
        #expect(await server.evidence(sessionID: ticket.sessionID)?.observations.contains { $0.check == "https" } == false)
    }
}
