import EC618
import Firmware
import Foundation
import Hotplug
import Links
import QA
import Records
import Vocabulary

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
    /// The slot's departure count when the last flash began: the reset after it must be seen
    /// before a running shape counts (a stale report is not the board coming back).
    private var departuresAtFlash: Int?
    /// Where the driver's own events go (boot-entry strategies, the operator's prompt, the
    /// flasher's events): the station wraps them in `StationEvent`s for the slot's run.
    private let events: @Sendable (StationEvent.Kind) -> Void

    public init(devices: SlotDevices, line: HardwareLine, boardID: String,
                events: @escaping @Sendable (StationEvent.Kind) -> Void = { _ in }) {
        self.devices = devices
        self.slotPath = devices.slot.path.rawValue
        self.line = line
        self.boardID = boardID
        self.events = events
    }

    /// Tries the profile's boot-entry strategies in order until the board is in download mode
    /// with the port the link needs; when none brings it, fails `boot_entry_failed` with what the
    /// bus showed after each (`BootEntryFailure`).
    public func enterDownloadMode() async throws {
        let current = await devices.current
        if current?.downloadBoard(usable: line.link) != nil { return }
        if current?.runningBoard == nil, current?.isGone ?? true { throw unplugged("before download mode") }
        var attempts: [BootEntryFailure.Attempt] = []
        for strategy in line.bootEntry.strategies {
            try Task.checkCancellation()
            // The strategy's own time, within what is left of the step.
            let end = StepDeadline.until(atMost: strategy.deadline)
            let departures = await devices.departures
            events(.bootEntryStrategy(.enterDownloadMode, name: strategy.name))
            var writeFailure: String?
            var askedOperator = false
            switch strategy.action {
            case .send(let steps):
                // Only a running board takes the bytes; one already on its way (gone, or download
                // mode without its port yet) is given the strategy's time to arrive.
                if let running = await devices.current?.runningBoard {
                    writeFailure = try await send(steps, to: running)
                }
            case .askOperator(let prompt):
                askedOperator = true
                events(.operatorAction(.enterDownloadMode, prompt: prompt))
            }
            if await waitForDownloadMode(until: end) != nil { return }
            let diagnosis = await BootEntryWatch.diagnose(devices: devices, departuresBefore: departures, link: line.link,
                                                          writeFailure: writeFailure,
                                                          askedOperator: askedOperator)
            attempts.append(.init(strategy: strategy.name, diagnosis: diagnosis))
        }
        let failure = BootEntryFailure(attempts: attempts)
        throw StepFailure(failureClass: FailureClass.bootEntryFailed, detail: "\(slotPath): \(failure)", retryable: true,
                          bootEntry: failure)
    }

    /// Sends one strategy's steps on the board's x.2 port and closes every port this driver
    /// holds (the board is about to leave the bus). Returns why x.2 could not be written, if so.
    private func send(_ steps: [BootEntrySequence.Step], to running: RunningBoard) async throws -> String? {
        let session = try await runningSession(for: running)
        var failure: String?
        do {
            try await SoftwareBootEntry.sendThenClose(steps, over: session.socLog)
        } catch is CancellationError {
            await closeSession()
            throw CancellationError()
        } catch {
            failure = "\(error)"
        }
        await closeSession()
        return failure
    }

    public func flashFull(boardData: BoardDataWrite?, progress: @escaping @Sendable (Int, Int) -> Void,
                          repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        // A retried full flash gets a fresh session; the last one is of no use any more.
        if let old = self.ticket { await closeQASession(old.sessionID) }
        let (ticket, plan) = try await line.materials.qaFlash(boardID: boardID, slot: slotPath)
        self.ticket = ticket
        try await write(plan, boardData: boardData, step: .flashFull, progress: progress, repeated: repeated)
    }

    public func waitRunning() async throws {
        await closeSession()
        // After a flash the board resets: it leaves the bus and comes back. Only a shape seen
        // after that departure counts; the stale download-mode report does not. The step's
        // deadline bounds the wait.
        let report = await devices.wait(until: StepDeadline.until(), afterDepartures: departuresAtFlash) {
            $0.runningBoard != nil || $0.isDownload
        }
        if let running = report?.runningBoard {
            try Task.checkCancellation()
            _ = try await runningSession(for: running)
            return
        }
        if report?.isDownload == true {
            throw StepFailure(failureClass: FailureClass.noRunningPorts,
                              detail: "the board came back in download mode after the reset (BOOT held, or the firmware does not start)")
        }
        throw StepFailure(failureClass: FailureClass.noRunningPorts, detail: "the running ports did not appear")
    }

    public func runQA() async throws -> QAResult {
        guard let ticket, let session else {
            throw StepFailure(failureClass: FailureClass.noQASession, detail: "the QA image was not flashed")
        }
        // The board reports `done` on x.6 when its checks are over; the plan's deadline bounds
        // the wait, then the server's evidence decides either way.
        let end = StepDeadline.until(atMost: .milliseconds(line.materials.qaPlan.deadlineMs))
        var events: [QABoardEvent] = []
        while ContinuousClock.now < end {
            events = await session.boardEvents
            if events.contains(where: { $0.ev == "done" && ($0.sid == nil || $0.sid == ticket.sessionID) }) { break }
            if let lost = await session.lost {
                throw await dropped("during QA (\(lost))", resetClass: FailureClass.boardReset)
            }
            try await Task.sleep(for: Self.pollInterval)
        }
        let judged: QAVerdict?
        do {
            judged = try await line.materials.qaSessions.verdict(sessionID: ticket.sessionID, boardEvents: events)
        } catch {
            // The board did its part; a shared server that cannot answer now may answer a retry.
            throw StepFailure(failureClass: FailureClass.noQASession, detail: "the QA server did not give a verdict: \(error)",
                              retryable: true)
        }
        guard let verdict = judged else {
            throw StepFailure(failureClass: FailureClass.noQASession, detail: "the QA server lost the session")
        }
        await closeQASession(ticket.sessionID)
        self.ticket = nil
        return QAResult(verdict: verdict)
    }

    public func flashScript(boardData: BoardDataWrite?, progress: @escaping @Sendable (Int, Int) -> Void,
                            repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        let plan = try line.materials.productionFlash()
        try await write(plan, boardData: boardData, step: .flashScript, progress: progress, repeated: repeated)
    }

    public func bootCheck() async throws {
        guard let session else { throw StepFailure(failureClass: FailureClass.noRunningPorts, detail: "not running") }
        let end = ContinuousClock.now + line.bootCheck.window
        while ContinuousClock.now < end {
            // What the app logged comes first: a Lua error just before a reboot names the cause.
            let records = await session.socLogRecords
            if let failure = line.bootCheck.failure(in: records) { throw failure }
            if let lost = await session.lost {
                throw await dropped("during the boot check (\(lost))", resetClass: FailureClass.appRebooted)
            }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    public func checkAppLog(_ plan: AppLogPlan) async throws -> QAResult {
        guard let session else { throw StepFailure(failureClass: FailureClass.noRunningPorts, detail: "not running") }
        let end = ContinuousClock.now + plan.window
        while true {
            let records = await session.socLogRecords
            let verdict = AppLogVerifier.verdict(records: records, expectations: plan.expectations)
            if verdict.pass || ContinuousClock.now >= end { return QAResult(appLog: verdict.checks, passed: verdict.pass) }
            if let lost = await session.lost {
                throw await dropped("while its app ran (\(lost))", resetClass: FailureClass.appRebooted)
            }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    /// Closes the ports this driver holds (the station calls it when the run is over).
    public func release() async {
        await closeSession()
        if let ticket { await closeQASession(ticket.sessionID) }
        ticket = nil
    }

    /// A close that fails does not fail the board: the server sweeps a session after its
    /// deadline and retention.
    private func closeQASession(_ sessionID: String) async {
        try? await line.materials.qaSessions.closeSession(sessionID)
    }

    // MARK: - Helpers

    /// How often a waiting step looks at what the board sent.
    private static let pollInterval: Duration = .milliseconds(100)

    private func write(_ plan: FlashPlan, boardData: BoardDataWrite?, step: StationStep,
                       progress: @escaping @Sendable (Int, Int) -> Void,
                       repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        await closeSession()
        let board = try await awaitDownloadMode(until: StepDeadline.until())
        departuresAtFlash = await devices.departures
        try Task.checkCancellation()
        let link: any ByteLink
        do {
            switch line.link {
            case .tty: link = try await line.ports.openSerial(board.port!, baud: line.downloadBaud)
            case .usb: link = try await line.ports.openUSB(board.usbDevnode!)
            }
        } catch {
            if await devices.isEmpty { throw unplugged("while opening the download port") }
            throw StepFailure(failureClass: FailureClass.portUnavailable, detail: "\(error)", retryable: true)
        }
        let events = self.events
        let flasher = Flasher(link: link, settings: line.flasher, onEvent: { event in
            if case .progress(_, _, _, let done, let total) = event { progress(done, total) }
            if let again = FlashRepeat(event) { repeated(again) }
            if let kind = StationEvent.Kind(event, step: step) { events(kind) }
        })
        do {
            try await flasher.flash(plan, agentBoot: line.materials.agentBoot, rewrites: boardData?.rewrites ?? [])
        } catch {
            // The board's own data could not be merged into what it holds: nothing of it was
            // written, and a retry would meet the same region.
            if error.image == .boardData, case .plan(let why) = error.cause {
                throw StepFailure(failureClass: FailureClass.boardDataFailed,
                                  detail: "\(boardData?.source ?? "board data"): \(why.reason)")
            }
            var portDropped = false
            if case .link(.unplugged) = error.cause { portDropped = true }
            let slotEmpty = await devices.isEmpty
            if portDropped || slotEmpty {
                throw await dropped("mid-flash: \(error.description)", resetClass: FailureClass.boardReset)
            }
            throw StepFailure(failureClass: error.isRetryable ? FailureClass.flashRetryable : FailureClass.flashFailed,
                              detail: error.description, retryable: error.isRetryable)
        }
    }

    /// The download-mode board the link can use, once it is there; nil when `deadline` passed.
    private func waitForDownloadMode(until deadline: ContinuousClock.Instant) async -> DownloadBoard? {
        let kind = line.link
        let report = await devices.wait(until: deadline) { $0.downloadBoard(usable: kind) != nil }
        return report?.downloadBoard(usable: kind)
    }

    private func awaitDownloadMode(until deadline: ContinuousClock.Instant) async throws -> DownloadBoard {
        guard let board = await waitForDownloadMode(until: deadline) else {
            if await devices.isEmpty { throw unplugged("waiting for download mode") }
            throw StepFailure(failureClass: FailureClass.bootEntryFailed,
                              detail: "no download-mode \(line.link.rawValue) port at \(slotPath) within the step's deadline "
                                + "(hold BOOT and reset the board to enter download mode by hand)", retryable: true)
        }
        return board
    }

    private func runningSession(for board: RunningBoard) async throws -> RunningSession {
        if let session { return session }
        do {
            let opened = try await RunningSession.open(board, ports: line.ports, baud: line.runtimeBaud,
                                                       logEscaping: line.logEscaping)
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

    /// How long the kernel may take to report a board gone after its port failed, and how soon a
    /// board that only reset is back (about a second: kernel tier, hil-check).
    static let dropSettle: Duration = .seconds(1)
    static let resetReturn: Duration = .seconds(3)

    /// A port failed under a step: the board left its slot (`unplugged`), or it dropped off the
    /// bus and came straight back (`resetClass`: a brown-out, a watchdog, the app rebooting).
    private func dropped(_ when: String, resetClass: FailureClass) async -> StepFailure {
        var gone = await devices.isEmpty
        if !gone {
            gone = await devices.wait(until: .now + Self.dropSettle) { $0.isGone } != nil
        }
        guard gone else {
            return StepFailure(failureClass: resetClass, detail: "a port of slot \(devices.slot) failed \(when)",
                               retryable: resetClass == FailureClass.boardReset)
        }
        let back = await devices.wait(until: .now + Self.resetReturn) { !$0.isGone }
        guard back != nil else { return unplugged(when) }
        return StepFailure(failureClass: resetClass, detail: "the board in slot \(devices.slot) reset \(when)",
                           retryable: resetClass == FailureClass.boardReset)
    }

    private func unplugged(_ when: String) -> StepFailure {
        StepFailure(failureClass: FailureClass.unplugged, detail: "the board left slot \(devices.slot) \(when)")
    }
}
