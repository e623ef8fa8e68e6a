import BoardSim
import Console
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
            qaPlan: inputs.qaPlan, qaListen: inputs.qaListen)
        config.qaPublicURL = inputs.qaPublicURL
        config.https = https
        config.sharedQAServer = inputs.sharedQAServer
        config.webhook = inputs.webhook
        config.onPass = inputs.onPass
        config.reportFolder = inputs.reportFolder
        config.reportFormats = inputs.reportFormats
        config.appLog = inputs.appLog
        config.flasher.verify = inputs.verify
        config.boardData = inputs.boardData
        if let folder = inputs.boardFilesFolder { config.boardFilesFolder = folder }
        config.rework = inputs.rework
        if inputs.labelScan || inputs.profile.gates.labelScan {
            // The label gate reads the terminal; a first word naming a slot addresses that slot.
            config.profile.gates.labelScan = true
            let labels = LineLabelSource()
            let named = Set(inputs.slotLabels.byPath.values)
            await labels.readStandardInput(knownSlot: { word in
                named.contains(word) || PhysicalPath(word) != nil
                    || (word.hasPrefix("slot") && Int(word.dropFirst(4)) != nil)
            })
            config.labelSource = labels
            display.note("label scan: scan each board's label when its slot asks (a line \"LABEL\", or \"SLOT LABEL\")")
        }
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
        // The console (the live page, and the slots' states in a shared store) hears what the
        // terminal does.
        let console = try await StationConsole.start(inputs: inputs, display: display)
        if let console, config.profile.gates.labelScan {
            // A label entered on the page goes to the slot's label gate, as a scanner's line would.
            let labels = config.labelSource as? LineLabelSource ?? LineLabelSource()
            config.labelSource = labels
            let state = console.server.state
            await console.controls.forwardLabels { path, label in
                await labels.scan(label, slot: await state.label(ofSlot: path) ?? path)
            }
        }
        let observer: any StationObserver = console.map { FanOutObserver([display, $0.server.observer]) } ?? display
        do {
            let summary = try await StationRunner(configuration: config, observer: observer)
                .run(boards: source, stop: stop, controls: console?.controls)
            await console?.stop(display: display)
            return summary
        } catch {
            await console?.stop(display: display)
            throw error
        }
    }
}

extension StationDisplay: StationObserver {}

extension StationEnvironmentError: ProvisionFailure {
    var exitCode: Int32 { ProvisionExit.environmentError }
}
