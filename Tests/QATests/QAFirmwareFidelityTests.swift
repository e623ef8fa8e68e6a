import BoardSim
import Foundation
import QA
import Testing
import Vocabulary

/// The QA flow against a simulated board that behaves as the V1112 firmware does: a download
/// the 4G link drops is re-requested with `Range` and must still pass; a link that keeps
/// dropping fails with the firmware's code; `IP_READY` before the script runs is not waited for.
@Suite("QA flow on firmware-faithful boards")
struct QAFirmwareFidelityTests {
    @Test("a download dropped mid-body is resumed with Range: the server served every byte and the board passes")
    func resumedDownloadPasses() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        var faults = NetworkFaults()
        faults.cutResponses = .init(marker: "/download", afterBytes: 3_000, times: 2)
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get, .download]), faults: faults)
        #expect(run.verdict.pass, "\(run.verdict)")
        let ranges = run.evidence.observations.filter { $0.check == "download" }.map(\.status)
        #expect(ranges == [200, 206, 206], "\(run.evidence.observations)")
        #expect(run.report.logLines.contains("I/http re-request 2 with Range: bytes=6000-"), "\(run.report.logLines)")
    }

    @Test("a link that drops more often than the firmware re-requests fails the download with its code, never as a content mismatch")
    func droppedTooOftenFailsWithTheCode() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        var faults = NetworkFaults()
        faults.cutResponses = .init(marker: "/download", afterBytes: 1_000, times: 10)
        let run = try await QALoop.run(server: server, plan: QALoop.fastPlan(checks: [.get, .download]), faults: faults)
        #expect(!run.verdict.pass)
        let download = run.verdict.checks.first { $0.check == "download" }
        #expect(download?.failure == .httpLibraryError(code: LuatOSHTTPError.close.rawValue), "\(run.verdict)")
        #expect(run.verdict.checks.first { $0.check == "get" }?.pass == true)
    }

    @Test("the board attached before main ran (IP_READY already gone) or after: the QA script passes both ways", arguments: [false, true])
    func bothAttachOrders(beforeMain: Bool) async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        // A budget far beyond the run's limit: a script that waited for the IP_READY that had
        // already gone would never attach, and the board would fail as no network attach.
        var plan = QALoop.fastPlan(checks: [.get])
        plan.attachBudgetMs = 120_000
        let run = try await QALoop.run(server: server, plan: plan, attachMs: 50, attachesBeforeMain: beforeMain)
        #expect(run.verdict.pass, "before main: \(beforeMain): \(run.verdict)")
        #expect(QABoardEvent.parse(run.report.vuart).first { $0.ev == "attach" }?.ok == true)
    }

    @Test("on a non-_FULL firmware (no miniz) the gzip check is unavailable: the profile's policy decides", arguments: [QAUnavailablePolicy.fail, .skip])
    func liteFirmwareHasNoMiniz(policy: QAUnavailablePolicy) async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        var plan = QALoop.fastPlan(checks: [.get, .gzip])
        plan.unavailableChecks = policy
        let run = try await QALoop.run(server: server, plan: plan, firmwareBuild: .lite)
        #expect(run.report.taskErrors.isEmpty, "no reboot loop: \(run.report.taskErrors)")
        let gzip = run.verdict.checks.first { $0.check == "gzip" }
        #expect(gzip?.unavailable == true, "\(run.verdict)")
        #expect(run.verdict.pass == (policy == .skip), "\(run.verdict)")
        if policy == .fail { #expect(gzip?.failure == .unavailableOnFirmware) }
        // The lite build's script region is what tells the station which build a .soc holds.
        #expect(FirmwareBuild(scriptRegionBytes: 448 * 1024) == .lite)
        #expect(FirmwareBuild(scriptRegionBytes: 128 * 1024) == .full)
    }
}
