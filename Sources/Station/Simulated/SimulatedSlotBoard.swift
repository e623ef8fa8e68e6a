import BoardSim
import EC618
import Firmware
import Foundation
import Links
import LuaImage
import QA
import Records

/// A simulated Air780E in one slot: the real flasher writes into a simulated EC618 over an
/// in-memory link, and on each reset the simulated LuatOS runtime boots what was flashed — the
/// per-board QA image (which talks to the station's real QA server on loopback) or the
/// production app. Only the USB bus is missing; every byte crosses the real protocol code.
public actor SimulatedSlotBoard: SlotBoard {
    public nonisolated let slotPath: String
    private let number: Int
    private let line: SimulatedLine
    private let faults: Set<SimulatedBoardFault>
    /// What the board's flash holds now (nil: blank).
    private var flash: SimulatedBoard.FlashContents?
    private var ticket: QASessionTicket?

    public init(number: Int, slotPath: String, line: SimulatedLine, faults: Set<SimulatedBoardFault> = []) {
        self.number = number
        self.slotPath = slotPath
        self.line = line
        self.faults = faults
    }

    /// The board's identity in the runtime (IMEI/ICCID derived from its number).
    public nonisolated var identity: RuntimeIdentity { .simulated(number) }

    public func enterDownloadMode() async throws {
        // A simulated board accepts the download session at any time; there is no USB
        // re-enumeration to wait for. The real driver sends the profile's boot-entry bytes here.
    }

    public func flashFull(progress: @escaping @Sendable (Int, Int) -> Void) async throws {
        let ticket = await line.qaServer.createSession(boardID: "sim-\(number)-\(identity.imei)", plan: line.qaPlan)
        self.ticket = ticket
        let image = try QAScriptImage.build(ticket: ticket, scriptFolder: line.qaScriptFolder,
                                            options: line.scriptOptions, caPEM: line.caPEM)
        let plan = try line.package.plan.withScript(image.bytes, name: line.package.info.script.file,
                                                    source: "QA image of slot \(slotPath)")
        var spec: [String] = []
        if faults.contains(.nakBlock) { spec.append("nak-block=3") }
        if faults.contains(.unplugMidFlash) { spec.append("disconnect-after=\(plan.totalBytes / 2)") }
        try await write(plan, faults: spec.joined(separator: ","), progress: progress)
    }

    public func waitRunning() async throws {
        guard flash != nil else {
            throw StepFailure(failureClass: "no_boot", detail: "the board has nothing flashed to boot")
        }
    }

    public func runQA() async throws -> QAResult {
        guard let ticket, let flash else {
            throw StepFailure(failureClass: "no_qa_session", detail: "the QA image was not flashed")
        }
        let report = try await boot(flash, for: .milliseconds(line.qaPlan.deadlineMs))
        guard let verdict = await line.qaServer.verdict(sessionID: ticket.sessionID,
                                                        boardEvents: QABoardEvent.parse(report.vuart)) else {
            throw StepFailure(failureClass: "no_qa_session", detail: "the QA server lost the session")
        }
        let checks = verdict.checks.map { c in
            CheckRecord(name: c.check, passed: c.pass, code: nil, durationMs: c.boardMs ?? 0,
                        failureClass: c.failure?.code, detail: c.detail.isEmpty ? nil : c.detail)
        }
        let failing = verdict.checks.first { !$0.pass }
        return QAResult(passed: verdict.pass, checks: checks, imei: verdict.imei ?? identity.imei,
                        iccid: verdict.iccid ?? identity.iccid, failureClass: verdict.failure?.code,
                        detail: failing.map { "\($0.check): \($0.detail)" })
    }

    public func flashScript(progress: @escaping @Sendable (Int, Int) -> Void) async throws {
        let plan = try line.package.plan.scriptOnly(line.productionImage.bytes, name: line.package.info.script.file,
                                                    source: "production script image")
        try await write(plan, faults: "", progress: progress)
    }

    public func bootCheck() async throws {
        guard let flash else { throw StepFailure(failureClass: "no_boot", detail: "nothing flashed") }
        let report = try await boot(flash, for: line.bootCheckWindow)
        if let error = report.taskErrors.first {
            throw StepFailure(failureClass: "app_lua_error", detail: error)
        }
        switch report.outcome {
        case .mainFailed(let reason): throw StepFailure(failureClass: "app_lua_error", detail: reason)
        case .noScript(let reason): throw StepFailure(failureClass: "no_script", detail: reason)
        case .rebooted(let reason): throw StepFailure(failureClass: "app_rebooted", detail: reason)
        case .idle, .stopped, .timeLimit: break
        }
    }

    /// Flashes `plan` through the real flasher into a fresh simulated EC618 holding this board's
    /// current flash, and keeps what the board holds after its reset.
    private func write(_ plan: FlashPlan, faults spec: String,
                       progress: @escaping @Sendable (Int, Int) -> Void) async throws {
        let device = SimulatedBoard(config: BoardConfig(), timing: line.timing,
                                    faults: try FaultPlan(spec: spec))
        if let flash { await device.preload(ap: flash.ap, cp: flash.cp) }
        let (resets, sink) = AsyncStream.makeStream(of: SimulatedBoard.FlashContents.self)
        await device.setResetHook { contents in sink.yield(contents); sink.finish() }
        let (host, board) = MemoryLink.pair(name: "sim-\(number)@\(slotPath)")
        async let served = device.serve(on: board)
        let flasher = Flasher(link: host, onEvent: { event in
            if case .progress(_, _, _, let done, let total) = event { progress(done, total) }
        })
        do {
            try await flasher.flash(plan, agentBoot: line.agentBoot)
        } catch {
            await host.close()
            _ = await served
            sink.finish()
            throw StepFailure(failureClass: error.isRetryable ? "flash_retryable" : "flash_failed",
                              detail: error.description, retryable: error.isRetryable)
        }
        _ = await served
        for await contents in resets {
            flash = contents
            return
        }
        throw StepFailure(failureClass: "no_reset", detail: "the board did not reset after flashing")
    }

    private func boot(_ contents: SimulatedBoard.FlashContents, for limit: Duration) async throws
        -> LuatOSRuntime.Report {
        let files: [LuaDBFile]
        do {
            files = try LuatOSRuntime.scriptFiles(apFlash: contents.ap, partition: line.package.plan.scriptPartition)
        } catch {
            throw StepFailure(failureClass: "no_script", detail: "the script partition does not hold a LuaDB: \(error)")
        }
        var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory()
                                       + "provision-slot-\(number)-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(atPath: settings.sandboxDirectory) }
        settings.attachDelay = line.attachDelay
        if faults.contains(.noNetwork) { settings.faults.noAttach = true }
        if faults.contains(.slowNetwork) { settings.faults.extraLatency = .milliseconds(400) }
        if faults.contains(.corruptUpload) { settings.faults.alterRequestBodyMatching = "/upload" }
        if faults.contains(.corruptDownload) { settings.faults.corruptResponseBodyMatching = "/download" }
        let runtime = LuatOSRuntime(files: files, identity: identity, settings: settings)
        return await runtime.run(for: limit)
    }
}
