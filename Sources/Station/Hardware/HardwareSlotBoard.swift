import EC618
import Firmware
import Foundation
import Hotplug
import Links
import QA
import Records

/// A real board in one fixture slot: the watcher's reports for the slot say what shape the
/// board has, the links reach it (tty or libusb in download mode, ttys when running), and the
/// station's QA server judges it. Also drives anything that looks like a real board on the bus:
/// a USB gadget in the kernel tier, pseudo-terminals in tests.
public actor HardwareSlotBoard: SlotBoard {
    public nonisolated let slotPath: String
    private let devices: SlotDevices
    private let line: HardwareLine
    /// A short name for the board in the QA server's records.
    private let boardID: String
    private var ticket: QASessionTicket?
    private var session: RunningSession?

    public init(devices: SlotDevices, line: HardwareLine, boardID: String) {
        self.devices = devices
        self.slotPath = devices.slot.path.rawValue
        self.line = line
        self.boardID = boardID
    }

    /// The failure classes this driver adds to those of the flasher and the QA verdict.
    public enum FailureClass {
        /// The board left its slot in the middle of a step.
        public static let unplugged = StepFailure.unpluggedClass
        /// A running board did not come back in download mode after the boot-entry sequence.
        public static let bootEntryFailed = "boot_entry_failed"
        /// The board reset but its running ports never appeared (or it came back in download mode).
        public static let noRunningPorts = "no_running_ports"
    }

    public func enterDownloadMode() async throws {
        let current = await devices.current
        if current?.downloadBoard(usable: line.link) != nil { return }
        guard let running = current?.runningBoard else {
            if current?.isGone ?? true { throw unplugged("before download mode") }
            // Download mode without the port the link needs yet: wait for it below.
            _ = try await awaitDownloadMode(until: .now + line.bootEntry.deadline)
            return
        }
        let session = try await runningSession(for: running)
        do {
            try await SoftwareBootEntry.send(line.bootEntry, over: session.socLog)
        } catch {
            await closeSession()
            throw StepFailure(failureClass: FailureClass.bootEntryFailed, detail: "\(error)", retryable: true)
        }
        await closeSession()
        _ = try await awaitDownloadMode(until: .now + line.bootEntry.deadline)
    }

    public func flashFull(progress: @escaping @Sendable (Int, Int) -> Void) async throws {
        let (ticket, plan) = try await line.materials.qaFlash(boardID: boardID, slot: slotPath)
        self.ticket = ticket
        try await write(plan, progress: progress)
    }

    public func waitRunning() async throws {
        await closeSession()
        // A reset passes through `gone` and the stale download-mode report; only the running
        // shape ends the wait. No deadline of its own: the pipeline's wait_running bounds it.
        let report = await devices.wait(until: .now + .seconds(24 * 3600)) { $0.runningBoard != nil }
        guard let running = report?.runningBoard else {
            throw StepFailure(failureClass: FailureClass.noRunningPorts, detail: "the running ports did not appear")
        }
        _ = try await runningSession(for: running)
    }

    public func runQA() async throws -> QAResult {
        guard let ticket, let session else {
            throw StepFailure(failureClass: "no_qa_session", detail: "the QA image was not flashed")
        }
        // The board reports `done` on x.6 when its checks are over; the plan's deadline bounds
        // the wait, then the server's evidence decides either way.
        let end = ContinuousClock.now + .milliseconds(line.materials.qaPlan.deadlineMs)
        var events: [QABoardEvent] = []
        while ContinuousClock.now < end {
            events = QABoardEvent.parse(await session.vuartBytes)
            if events.contains(where: { $0.ev == "done" && ($0.sid == nil || $0.sid == ticket.sessionID) }) { break }
            if let lost = await session.lost {
                throw unplugged("during QA (\(lost))")
            }
            try await Task.sleep(for: Self.pollInterval)
        }
        guard let verdict = await line.materials.qaServer.verdict(sessionID: ticket.sessionID, boardEvents: events) else {
            throw StepFailure(failureClass: "no_qa_session", detail: "the QA server lost the session")
        }
        await line.materials.qaServer.closeSession(ticket.sessionID)
        self.ticket = nil
        return QAResult(verdict: verdict)
    }

    public func flashScript(progress: @escaping @Sendable (Int, Int) -> Void) async throws {
        let plan = try line.materials.productionFlash()
        try await write(plan, progress: progress)
    }

    public func bootCheck() async throws {
        guard let session else { throw StepFailure(failureClass: FailureClass.noRunningPorts, detail: "not running") }
        let end = ContinuousClock.now + line.bootCheck.window
        while ContinuousClock.now < end {
            if let lost = await session.lost { throw unplugged("during the boot check (\(lost))") }
            let records = LuatOSLogDecoder.decode(await session.socLogBytes, escaping: line.logEscaping)
            if let failure = line.bootCheck.failure(in: records) { throw failure }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    public func checkAppLog(_ plan: AppLogPlan) async throws -> QAResult {
        guard let session else { throw StepFailure(failureClass: FailureClass.noRunningPorts, detail: "not running") }
        let end = ContinuousClock.now + plan.window
        while true {
            let records = LuatOSLogDecoder.decode(await session.socLogBytes, escaping: line.logEscaping)
            let verdict = AppLogVerifier.verdict(records: records, expectations: plan.expectations)
            if verdict.pass || ContinuousClock.now >= end { return QAResult(appLog: verdict.checks, passed: verdict.pass) }
            if let lost = await session.lost { throw unplugged("while its app ran (\(lost))") }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    /// Closes the ports this driver holds (the station calls it when the run is over).
    public func release() async {
        await closeSession()
        if let ticket { await line.materials.qaServer.closeSession(ticket.sessionID) }
        ticket = nil
    }

    // MARK: - Helpers

    /// How often a waiting step looks at what the board sent.
    private static let pollInterval: Duration = .milliseconds(100)

    private func write(_ plan: FlashPlan, progress: @escaping @Sendable (Int, Int) -> Void) async throws {
        await closeSession()
        let board = try await awaitDownloadMode(until: .now + line.bootEntry.deadline)
        let link: any ByteLink
        do {
            switch line.link {
            case .tty: link = try SerialLink.open(path: board.port!, baud: line.downloadBaud)
            case .usb: link = try await USBLink.open(path: board.usbDevnode!)
            }
        } catch {
            if await devices.isEmpty { throw unplugged("while opening the download port") }
            throw StepFailure(failureClass: "port_unavailable", detail: "\(error)", retryable: true)
        }
        let flasher = Flasher(link: link, settings: line.flasher, onEvent: { event in
            if case .progress(_, _, _, let done, let total) = event { progress(done, total) }
        })
        do {
            try await flasher.flash(plan, agentBoot: line.materials.agentBoot)
        } catch {
            if case .link(.unplugged) = error.cause { throw unplugged("mid-flash: \(error.description)") }
            if await devices.isEmpty { throw unplugged("mid-flash: \(error.description)") }
            throw StepFailure(failureClass: error.isRetryable ? "flash_retryable" : "flash_failed",
                              detail: error.description, retryable: error.isRetryable)
        }
    }

    private func awaitDownloadMode(until deadline: ContinuousClock.Instant) async throws -> DownloadBoard {
        let kind = line.link
        let report = await devices.wait(until: deadline) { $0.downloadBoard(usable: kind) != nil }
        guard let board = report?.downloadBoard(usable: kind) else {
            if await devices.isEmpty { throw unplugged("waiting for download mode") }
            throw StepFailure(failureClass: FailureClass.bootEntryFailed,
                              detail: "no download-mode \(kind.rawValue) port at \(slotPath) within \(line.bootEntry.deadline) "
                                + "(hold BOOT and reset the board to enter download mode by hand)", retryable: true)
        }
        return board
    }

    private func runningSession(for board: RunningBoard) async throws -> RunningSession {
        if let session { return session }
        do {
            let opened = try RunningSession.open(board, baud: line.runtimeBaud)
            session = opened
            return opened
        } catch {
            if await devices.isEmpty { throw unplugged("while opening the running ports") }
            throw StepFailure(failureClass: FailureClass.noRunningPorts, detail: "\(error)")
        }
    }

    private func closeSession() async {
        await session?.close()
        session = nil
    }

    private func unplugged(_ when: String) -> StepFailure {
        StepFailure(failureClass: FailureClass.unplugged, detail: "the board left slot \(devices.slot) \(when)")
    }
}
