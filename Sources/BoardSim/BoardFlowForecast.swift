import Firmware

/// The least time one board spends in a slot under a timing model, phase by phase, for the
/// station's full flow (enter download mode → full flash with the QA image → running → QA →
/// boot entry → script flash → running → boot check → operator swap). Every phase's bound is
/// what the simulated board itself cannot go below, so a station's boards per hour can at best
/// reach `slots × 3600 ÷ perBoard`: the line bound `scripts/bench-station` measures against.
/// Whatever the station adds (protocol frames, syncs, polling, its own work) is the gap.
public struct BoardFlowForecast: Sendable, Equatable {
    /// What one board's run moves and waits for, from the flash plan, the QA plan and the profile.
    public struct Sizes: Sendable, Equatable {
        /// Every image byte the full flash programs (BL, AP, CP, the QA script image; the
        /// AgentBoot only crosses the link into RAM, so leaving it out keeps this a lower bound).
        public var fullFlashBytes: Int
        /// 64 KiB blocks the full flash erases (at least).
        public var fullFlashEraseBlocks: Int
        /// Every image byte the script-only flash programs (the production script image).
        public var scriptFlashBytes: Int
        public var scriptFlashEraseBlocks: Int
        /// Each HTTP exchange of the QA run with its body sizes (the report included).
        public var qaExchanges: [Exchange]
        /// The boot-entry sequence the station writes to x.2 (its `AT+ECRST=delay,N` sets when
        /// the chip resets) and the host's own pauses between its steps.
        public var bootEntryBytes: [UInt8]
        public var bootEntryHostPauses: Duration
        /// How long the production app must run before the boot check passes.
        public var bootCheckWindow: Duration
        /// The simulated operator's swap: from the finished board leaving the bus to the next
        /// one on it in download mode.
        public var swap: Duration

        public init(fullFlashBytes: Int, fullFlashEraseBlocks: Int, scriptFlashBytes: Int, scriptFlashEraseBlocks: Int,
                    qaExchanges: [Exchange], bootEntryBytes: [UInt8], bootEntryHostPauses: Duration,
                    bootCheckWindow: Duration, swap: Duration) {
            self.fullFlashBytes = fullFlashBytes
            self.fullFlashEraseBlocks = fullFlashEraseBlocks
            self.scriptFlashBytes = scriptFlashBytes
            self.scriptFlashEraseBlocks = scriptFlashEraseBlocks
            self.qaExchanges = qaExchanges
            self.bootEntryBytes = bootEntryBytes
            self.bootEntryHostPauses = bootEntryHostPauses
            self.bootCheckWindow = bootCheckWindow
            self.swap = swap
        }
    }

    /// One HTTP request and its answer, by body size.
    public struct Exchange: Sendable, Equatable {
        public var sentBytes: Int
        public var receivedBytes: Int

        public init(sentBytes: Int, receivedBytes: Int) {
            self.sentBytes = sentBytes
            self.receivedBytes = receivedBytes
        }
    }

    public struct Phase: Sendable, Equatable {
        public var name: String
        public var lowerBound: Duration
    }

    public let phases: [Phase]

    /// The sum of the phases' lower bounds.
    public var perBoard: Duration { phases.reduce(.zero) { $0 + $1.lowerBound } }

    public init(timing: SimTiming, sizes: Sizes, resetGap: Duration = DeviceSideBoard.defaultResetGap) {
        let toRunning = DeviceSideBoard.offBus(resetGap: resetGap, timing: timing, comingBackIn: .running)
        let toDownload = DeviceSideBoard.offBus(resetGap: resetGap, timing: timing, comingBackIn: .download)
        // SYS_RST's answer, then the chip off the bus until its running ports are back.
        let resetToRunning = DeviceSideBoard.answerBeforeReset + toRunning
        var listener = BootEntryListener()
        let resetDelay = Duration.milliseconds(listener.feed(sizes.bootEntryBytes)?.delayMs ?? 0)
        let link = timing.cellLink
        phases = [
            // A seated board (BOOT held) enumerates as the ROM's port.
            Phase(name: "enter download mode", lowerBound: timing.enumeration(of: .download)),
            Phase(name: "full flash", lowerBound: timing.lowerBound(imageBytes: sizes.fullFlashBytes,
                                                                   eraseBlocks: sizes.fullFlashEraseBlocks)),
            Phase(name: "reset to running", lowerBound: resetToRunning),
            // The QA script runs once the firmware booted; the attach counts from then.
            Phase(name: "boot to first log", lowerBound: timing.bootToFirstLog),
            Phase(name: "4G attach", lowerBound: timing.attach),
            Phase(name: "QA traffic", lowerBound: sizes.qaExchanges.reduce(.zero) {
                $0 + link.exchange(sentBytes: $1.sentBytes, receivedBytes: $1.receivedBytes)
            }),
            // The chip resets `delay` ms after AT+ECRST and the ROM's port appears `toDownload`
            // later; the host cannot go on before its own pauses are over either.
            Phase(name: "boot entry", lowerBound: max(sizes.bootEntryHostPauses, resetDelay + toDownload)),
            Phase(name: "script flash", lowerBound: timing.lowerBound(imageBytes: sizes.scriptFlashBytes,
                                                                     eraseBlocks: sizes.scriptFlashEraseBlocks)),
            Phase(name: "reset to running", lowerBound: resetToRunning),
            // The window runs from the running ports; the app's boot falls inside it.
            Phase(name: "boot check", lowerBound: max(sizes.bootCheckWindow, timing.bootToFirstLog)),
            // The next board's enumeration (the first phase) happens while the operator seats it.
            Phase(name: "operator swap", lowerBound: max(.zero, sizes.swap - timing.enumeration(of: .download))),
        ]
    }

    /// Boards per hour `slots` slots can reach at best: slots × 3600 s ÷ the per-board bound.
    public func lineBound(slots: Int) -> Double {
        let seconds = Double(perBoard.components.seconds) + Double(perBoard.components.attoseconds) / 1e18
        return seconds > 0 ? Double(slots) * 3600 / seconds : .infinity
    }

    /// 64 KiB blocks `bytes` cover at least (an image not aligned to a block only erases more).
    public static func eraseBlocks(bytes: Int) -> Int {
        bytes <= 0 ? 0 : (bytes - 1) / EC618FlashMap.eraseBlockSize + 1
    }
}
