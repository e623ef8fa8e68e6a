import BoardSim
import Firmware
import Foundation
import LuaImage
import QA
import Vocabulary

/// Runs the project's QA script on a simulated board against a QA server on 127.0.0.1:
/// build the per-board image → LuaDB in a 4 MiB AP flash at the script partition → runtime reads
/// it back → runs → verdict.
enum QALoop {
    static let partition = ScriptPartition(flashOffset: 0x2C_C000, capacity: 128 * 1024)

    /// `profiles/air780e/qa` in this checkout.
    static var scriptFolder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles/air780e/qa").path
    }

    /// A plan that runs in well under a second on loopback.
    static func fastPlan(checks: [QACheck] = [.get, .formPost, .multipartUpload, .download, .jsonRoundtrip, .gzip],
                         deadlineMs: Int? = nil) -> QAPlan {
        QAPlan(checks: checks, attachBudgetMs: 400, checkTimeoutMs: 10_000, downloadBytes: 8192,
               // Generous unless a test is about the deadline: these runs take under a second
               // idle, and must still pass with every core busy (a check took 4 s on a loaded pass).
               uploadBytes: 4096, deadlineMs: deadlineMs ?? 60_000)
    }

    /// The AP flash of a board flashed with `image` (the rest erased).
    static func apFlash(with image: [UInt8]) -> [UInt8] {
        var ap = [UInt8](repeating: 0xFF, count: 4 * 1024 * 1024)
        ap.replaceSubrange(Int(partition.flashOffset)..<(Int(partition.flashOffset) + image.count), with: image)
        return ap
    }

    struct Run {
        let ticket: QASessionTicket
        let report: LuatOSRuntime.Report
        let verdict: QAVerdict
        let evidence: QASessionEvidence
    }

    static func run(server: QAServer, plan: QAPlan = fastPlan(), board: Int = 1, faults: NetworkFaults = .none,
                    attachMs: Int = 5, attachesBeforeMain: Bool = false, firmwareBuild: FirmwareBuild = .full,
                    sessionURL: String? = nil,
                    scriptFolder: String = QALoop.scriptFolder) async throws -> Run {
        var ticket = await server.createSession(boardID: "sim-\(board)", plan: plan)
        if let sessionURL { ticket = ticket.withSessionURL(sessionURL) }
        let image = try QAScriptImage.build(ticket: ticket, scriptFolder: scriptFolder,
                                            options: ScriptImageOptions(useLuac: true, useDebug: true, capacity: partition.capacity))
        let files = try LuatOSRuntime.scriptFiles(apFlash: apFlash(with: image.bytes), partition: partition)
        var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory() + "qa-loop-" + UUID().uuidString)
        settings.attachDelay = .milliseconds(attachMs)
        settings.faults = faults
        settings.attachesBeforeMain = attachesBeforeMain
        settings.firmwareBuild = firmwareBuild
        let runtime = LuatOSRuntime(files: files, identity: .simulated(board), settings: settings)
        let report = await runtime.run(for: .seconds(30))
        let events = QABoardEvent.parse(report.vuart)
        let verdict = await server.verdict(sessionID: ticket.sessionID, boardEvents: events)!
        let evidence = await server.evidence(sessionID: ticket.sessionID)!
        try? FileManager.default.removeItem(atPath: settings.sandboxDirectory)
        return Run(ticket: ticket, report: report, verdict: verdict, evidence: evidence)
    }
}
