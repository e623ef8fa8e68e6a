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

    public func flashFull(progress: @escaping @Sendable (Int, Int) -> Void,
                          repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        let (ticket, plan) = try await line.materials.qaFlash(boardID: "sim-\(number)-\(identity.imei)", slot: slotPath)
        self.ticket = ticket
        try await write(plan, faults: faults.flashFaultSpec(planBytes: plan.totalBytes), progress: progress,
                        repeated: repeated)
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
        let report = try await boot(flash, for: .milliseconds(line.materials.qaPlan.deadlineMs))
        guard let verdict = await line.materials.qaServer.verdict(sessionID: ticket.sessionID,
                                                        boardEvents: QABoardEvent.parse(report.vuart)) else {
            throw StepFailure(failureClass: "no_qa_session", detail: "the QA server lost the session")
        }
        // Judged: a long batch must not keep every board's session in the server.
        await line.materials.qaServer.closeSession(ticket.sessionID)
        self.ticket = nil
        return QAResult(verdict: verdict, fallbackIMEI: identity.imei, fallbackICCID: identity.iccid)
    }

    public func flashScript(progress: @escaping @Sendable (Int, Int) -> Void,
                            repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        let plan = try line.materials.productionFlash()
        try await write(plan, faults: "", progress: progress, repeated: repeated)
    }

    public func bootCheck() async throws {
        guard let flash else { throw StepFailure(failureClass: "no_boot", detail: "nothing flashed") }
        let report = try await boot(flash, for: line.bootCheckWindow)
        if let error = report.taskErrors.first {
            throw StepFailure(failureClass: "app_lua_error", detail: error)
        }
        switch report.outcome {
        case .mainFailed(let reason), .vmExited(let reason): throw StepFailure(failureClass: "app_lua_error", detail: reason)
        case .noScript(let reason): throw StepFailure(failureClass: "no_script", detail: reason)
        case .rebooted(let reason): throw StepFailure(failureClass: "app_rebooted", detail: reason)
        case .idle, .stopped, .timeLimit: break
        }
    }

    public func checkAppLog(_ plan: AppLogPlan) async throws -> QAResult {
        guard let flash else { throw StepFailure(failureClass: "no_boot", detail: "nothing flashed") }
        let report = try await boot(flash, for: plan.window)
        // The runtime keeps each log record's text as the x.2 port would carry it.
        let records = LuatOSLogDecoder.decode(Array(report.logLines.joined(separator: "\n").utf8), framing: .textLines)
            + report.taskErrors.map { LuatOSLogRecord(milliseconds: nil, tag: nil, text: "E/user.coroutine.resume\t\($0)") }
        let verdict = AppLogVerifier.verdict(records: records, expectations: plan.expectations)
        return QAResult(appLog: verdict.checks, passed: verdict.pass)
    }

    /// Flashes `plan` through the real flasher into a fresh simulated EC618 holding this board's
    /// current flash, and keeps what the board holds after its reset.
    private func write(_ plan: FlashPlan, faults spec: String, progress: @escaping @Sendable (Int, Int) -> Void,
                       repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        let device = SimulatedBoard(config: BoardConfig(), timing: line.timing,
                                    faults: try FaultPlan(spec: spec))
        if let flash { await device.preload(ap: flash.ap, cp: flash.cp) }
        let (resets, sink) = AsyncStream.makeStream(of: SimulatedBoard.FlashContents.self)
        await device.setResetHook { contents in sink.yield(contents); sink.finish() }
        let (host, board) = MemoryLink.pair(name: "sim-\(number)@\(slotPath)")
        async let served = device.serve(on: board)
        let flasher = Flasher(link: host, onEvent: { event in
            if case .progress(_, _, _, let done, let total) = event { progress(done, total) }
            if let again = FlashRepeat(event) { repeated(again) }
        })
        do {
            try await flasher.flash(plan, agentBoot: line.materials.agentBoot)
        } catch {
            await host.close()
            let outcome = await served
            sink.finish()
            if outcome == .faultDisconnected || error.cause == .link(.unplugged(link: host.name)) {
                throw StepFailure(failureClass: StepFailure.unpluggedClass,
                                  detail: "the board left slot \(slotPath) mid-flash: \(error.description)")
            }
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
            files = try LuatOSRuntime.scriptFiles(apFlash: contents.ap, partition: line.materials.package.plan.scriptPartition)
        } catch {
            throw StepFailure(failureClass: "no_script", detail: "the script partition does not hold a LuaDB: \(error)")
        }
        var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory()
                                       + "provision-slot-\(number)-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(atPath: settings.sandboxDirectory) }
        settings.attachDelay = line.attachDelay
        settings.faults = faults.networkFaults
        settings.network = line.network
        settings.firmwareBuild = FirmwareBuild(scriptRegionBytes: line.materials.package.plan.scriptPartition.capacity)
        let runtime = LuatOSRuntime(files: files, identity: identity, settings: settings)
        return await runtime.run(for: limit)
    }
}
