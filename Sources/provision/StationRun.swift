import BoardSim
import Firmware
import Hotplug
import QA
import Records
import SimulatedLine
import Station

/// One start of the station from the command line: the runner's configuration and the board
/// source (the USB bus, or a fixture of simulated boards) built from the inputs, stopped by
/// Ctrl-C / SIGTERM.
struct StationRun {
    let inputs: StationInputs
    let display: StationDisplay

    /// The QA budgets of simulated boards: this much beyond their timing's attach figure, so a
    /// board that never attaches is known after a few seconds instead of the profile's minute.
    static let simulatedAttachBudgetMs = 3_000
    static let simulatedCheckTimeoutMs = 5_000
    /// How long a simulated production app must run without a Lua error to pass the boot check.
    static let simulatedBootCheckWindow: Duration = .milliseconds(1500)

    func run() async throws -> StationRunSummary {
        var https: StationRunConfiguration.HTTPSListener?
        if inputs.sharedQAServer == nil, QAPlan(profile: inputs.profile).checks.contains(.https) {
            if let listener = try inputs.httpsListener() {
                https = StationRunConfiguration.HTTPSListener(identity: listener.identity, port: listener.port,
                                                              publicURL: listener.publicURL)
            } else {
                display.note("https check skipped: with --qa-url, there is no fixed --qa-listen port "
                             + "to put the https listener next to")
            }
        }
        var config = StationRunConfiguration(
            storeURL: inputs.storeURL, stationID: inputs.stationID,
            batch: BatchInfo(name: inputs.batch, operatorID: inputs.operatorID, workOrder: inputs.workOrder,
                             profile: inputs.profile.name),
            profile: inputs.profile, package: inputs.package, agentBoot: inputs.agentBoot,
            production: inputs.production, scriptOptions: inputs.scriptOptions, qaScriptFolder: inputs.qaFolder,
            qaPlan: qaPlan, qaListen: inputs.qaListen)
        config.qaPublicURL = inputs.qaPublicURL
        config.https = https
        config.sharedQAServer = inputs.sharedQAServer
        config.webhook = inputs.webhook
        config.reportFolder = inputs.reportFolder
        config.reportFormats = inputs.reportFormats
        config.appLog = inputs.appLog
        config.flasher.verify = inputs.verify
        let source: any BoardSource
        if let simulate = inputs.simulate {
            config.boardLimit = inputs.count ?? simulate
            config.link = .tty
            config.bootCheck = BootCheckRules(window: Self.simulatedBootCheckWindow)
            var model = SimulatedFixture.BoardModel(scriptPartition: inputs.package.plan.scriptPartition,
                                                    planBytes: inputs.package.plan.totalBytes)
            model.timing = inputs.simTiming
            model.network = inputs.simNetwork
            model.faults = inputs.simFaults
            if let random = inputs.simRandomFaults {
                model.randomFaults = (random, RandomFaultPlan.Session(fullFlashOf: inputs.package.plan,
                                                                      agentBootBytes: inputs.agentBoot.count))
            }
            source = SimulatedFixture(slots: simulate, model: model, bus: inputs.simBus)
            display.note("station \(inputs.stationID): \(simulate) simulated slot(s) on the \(inputs.simBus.rawValue) bus, "
                         + "batch \"\(inputs.batch)\", store \(inputs.storeURL)")
        } else {
            config.boardLimit = inputs.count
            config.stopWhenIdleAfterFirst = inputs.once
            config.link = inputs.link
            config.boardsUseCarrierNetwork = !inputs.boardsOnThisMachine
            config.allowedSlots = inputs.restrictToLabelledSlots ? Set(inputs.slotLabels.byPath.keys) : nil
            var watch = WatchSettings(source: inputs.source, identity: BoardUSBIdentity(profile: inputs.profile),
                                      labels: inputs.slotLabels)
            watch.downloadNeedsPort = inputs.link == .tty
            source = WatchedBoards(settings: watch)
            display.note("station \(inputs.stationID): waiting for \(inputs.profile.name) boards"
                         + (config.allowedSlots.map { " in \($0.count) slot(s)" } ?? "")
                         + " (\(inputs.link.rawValue) link, \(inputs.source.rawValue) events), batch \"\(inputs.batch)\", "
                         + "store \(inputs.storeURL), QA server \(inputs.sharedQAServer?.url ?? inputs.qaPublicURL ?? "on \(inputs.qaListen)")")
        }
        // Ctrl-C / SIGTERM: no new boards; boards in flight stop at once and are recorded as
        // interrupted. A second signal is not needed.
        let (stop, signals) = StationStop.onSignals()
        defer { signals.cancel() }
        return try await StationRunner(configuration: config, observer: display).run(boards: source, stop: stop)
    }

    /// The profile's plan; simulated boards get the budgets of boards that attach at once. (The
    /// runner drops the https check when there is no certificate for it.)
    private var qaPlan: QAPlan {
        let profilePlan = QAPlan(profile: inputs.profile)
        guard inputs.simulate != nil else { return profilePlan }
        let attachMs = Int(inputs.simTiming.attach / .milliseconds(1))
        return QAPlan(checks: profilePlan.checks, attachBudgetMs: Self.simulatedAttachBudgetMs + attachMs,
                      checkTimeoutMs: Self.simulatedCheckTimeoutMs, downloadBytes: profilePlan.downloadBytes,
                      uploadBytes: profilePlan.uploadBytes, unavailableChecks: profilePlan.unavailableChecks)
    }
}

extension StationDisplay: StationObserver {}

extension StationEnvironmentError: ProvisionFailure {
    var exitCode: Int32 { ProvisionExit.environmentError }
}
