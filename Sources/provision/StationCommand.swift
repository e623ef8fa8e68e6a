import ArgumentParser
import Dispatch
import BoardSim
import Firmware
import Foundation
import LuaImage
import QA
import Records
import Station
import Synchronization

/// `provision --soc X.soc main.lua`: the station. Every input is validated before a board is
/// touched; then each slot runs the pipeline of DESIGN.md on the boards that come and go in it,
/// and every board gets a record.
struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Run a flashing and sign-off station (the default command).",
        discussion: """
            Simulated boards (--simulate N) exercise the whole pipeline without hardware: the real \
            flasher writes into simulated EC618s, and the simulated LuatOS runtime runs the QA script \
            against the station's QA server on 127.0.0.1. --sim-fault N=KIND gives board N a fault: \
            \(SimulatedBoardFault.allCases.map(\.rawValue).joined(separator: ", ")).
            """)

    @Option(help: "The .soc firmware package.")
    var soc: String

    @Argument(help: "The production script files or folders (main.lua first).")
    var scripts: [String] = []

    @Option(help: "Board profile (name or path).")
    var profile = "air780e"

    @Option(name: .customLong("agentboot"), help: "AgentBoot file to use instead of the one inside the .soc.")
    var agentBoot: String?

    @Option(help: "Results store: sqlite:PATH or postgres://user@host:port/db.")
    var db = StoreURL.defaultURL

    @Option(help: "Batch name for the records (default: the date and the .soc name).")
    var batch: String?

    @Option(name: .customLong("operator"), help: "Operator ID for the records.")
    var operatorID: String?

    @Option(name: .customLong("work-order"), help: "Work order for the records.")
    var workOrder: String?

    @Option(help: "Attach this many simulated boards instead of real ones.")
    var simulate: Int?

    @Option(name: .customLong("sim-fault"), help: "Give simulated board N a fault: N=KIND (repeatable).")
    var simFaults: [String] = []

    @Option(name: .customLong("sim-timing"), help: "Simulated boards' flash timing: fast, or realistic (1 MB/s link, 150 ms per 64 KiB erase, 400 KB/s programming).")
    var simTiming: SimTimingChoice = .fast

    enum SimTimingChoice: String, ExpressibleByArgument, CaseIterable { case fast, realistic }

    @Option(help: "Stop after this many boards have a verdict.")
    var count: Int?

    @Flag(help: "Each slot handles one board, then the station stops.")
    var once = false

    @Flag(name: .customLong("dry-run"), help: "Validate every input, print the plan, touch no board.")
    var dryRun = false

    @Flag(help: "One JSON object per event on stdout (for MES).")
    var json = false

    @Option(name: .customLong("station-id"), help: "This station's name in a shared store (default: the host name).")
    var stationID = ProcessInfo.processInfo.hostName

    func run() async throws {
        do {
            try await runStation()
        } catch {
            throw fail(error)
        }
    }

    private func runStation() async throws {
        // 1. Everything that can be wrong with the input is found before any board is touched.
        let package = try SocPackage.open(path: soc, agentBootPath: agentBoot)
        let agent = try package.requireAgentBoot()
        let boardProfile = try Profile.load(profile)
        guard !scripts.isEmpty else { throw StationInputError("give the production script: provision --soc X.soc main.lua") }
        let options = try package.scriptImageOptions()
        let production = try ScriptImageBuilder.build(paths: scripts, options: options)
        _ = try package.plan.scriptOnly(production.bytes, source: scripts[0])
        guard let qaFolder = QAScriptImage.defaultScriptFolder(board: boardProfile.name) else {
            throw StationInputError("no QA script folder profiles/\(boardProfile.name)/qa found")
        }
        let faults = try parseFaults()
        guard let simulate else {
            throw StationInputError("real boards are not wired into the station yet; use --simulate N "
                                    + "(provision flash / watch work with real boards)")
        }
        guard simulate > 0, simulate <= 64 else { throw StationInputError("--simulate takes 1 to 64 boards") }
        if let count, count < 1 { throw StationInputError("--count must be at least 1") }

        let display = StationDisplay(json: json)
        let batchName = batch ?? Self.defaultBatchName(soc: soc)
        if dryRun {
            display.note("plan: \(package.plan.images.map { "\($0.kind.rawValue) \($0.size) B" }.joined(separator: ", ")) "
                         + "+ QA image per board; production image \(production.bytes.count) B "
                         + "(\(production.sha256.prefix(12))); flow \(StationStep.fullFlow.map(\.rawValue).joined(separator: " → "))")
            display.note("dry run: no board touched, nothing recorded")
            return
        }

        // 2. The store: runs this station left undecided are marked interrupted first.
        let store = try await StoreURL.open(db)
        let interrupted = try await store.markInterruptedRuns(stationID: stationID, at: Date())
        if interrupted > 0 { display.note("\(interrupted) run(s) left in flight by an earlier start marked interrupted") }
        try await store.ensureBatch(BatchInfo(name: batchName, operatorID: operatorID, workOrder: workOrder,
                                              profile: boardProfile.name))

        // 3. The QA server the boards report to.
        let qaServer = QAServer(host: "127.0.0.1", port: 0)
        _ = try await qaServer.start()
        // The profile's budgets are for real 4G attach; simulated boards attach in 200 ms, so a
        // board that never attaches is known after a few seconds instead of a minute.
        let profilePlan = QAPlan(profile: boardProfile)
        let plan = QAPlan(checks: profilePlan.checks.filter { $0 != .https },   // no station certificate here
                          attachBudgetMs: Self.simulatedAttachBudgetMs, checkTimeoutMs: Self.simulatedCheckTimeoutMs,
                          downloadBytes: profilePlan.downloadBytes, uploadBytes: profilePlan.uploadBytes)
        let line = SimulatedLine(package: package, agentBoot: agent.bytes, productionImage: production,
                                 scriptOptions: options, qaServer: qaServer, qaPlan: plan, qaScriptFolder: qaFolder,
                                 caPEM: nil, timing: simTiming == .fast ? .fast : .realistic, attachDelay: .milliseconds(200),
                                 bootCheckWindow: .milliseconds(1500))
        var pipelineSettings = PipelineSettings(profile: boardProfile, batch: batchName, stationID: stationID)
        pipelineSettings.firmwareSHA256 = SHA256Hex.of(package.plan.images.flatMap(\.bytes))
        pipelineSettings.scriptSHA256 = production.sha256
        display.note("station \(stationID): \(simulate) simulated slot(s), batch \"\(batchName)\", store \(store.label)")

        // 4. One task per slot; boards come and go until --count verdicts (or --once).
        let tally = Tally(limit: count ?? simulate)
        let settingsCopy = pipelineSettings
        let slots = Task { await withTaskGroup(of: Void.self) { group in
            for slot in 1...simulate {
                group.addTask {
                    let path = "sim-\(slot)"
                    let pipeline = SlotPipeline(slotLabel: "slot\(slot)", settings: settingsCopy, store: store,
                                                emit: display.show)
                    var boardNumber = slot
                    while tally.claim() {
                        let board = SimulatedSlotBoard(number: boardNumber, slotPath: path, line: line,
                                                       faults: faults[boardNumber] ?? [])
                        do {
                            let outcome = try await pipeline.run(board)
                            tally.record(outcome.status)
                        } catch {
                            display.note("slot\(slot): cannot record: \(error)")
                            tally.record(.interrupted)
                        }
                        if once || Task.isCancelled { break }
                        boardNumber += simulate
                    }
                }
            }
        } }
        // Ctrl-C / SIGTERM: no new boards; boards in flight stop at once and are recorded as
        // interrupted. A second signal is not needed.
        let signals = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                tally.stopClaiming()
                slots.cancel()
            }
            source.resume()
            return source
        }
        await slots.value
        signals.forEach { $0.cancel() }
        await qaServer.stop()
        await store.close()
        let (passed, failed, other) = tally.counts
        display.note("done: \(passed) passed, \(failed) failed" + (other > 0 ? ", \(other) not decided" : ""))
        if failed > 0 || other > 0 { throw ExitCode(ProvisionExit.boardFailed) }
    }

    private func parseFaults() throws -> [Int: Set<SimulatedBoardFault>] {
        var faults: [Int: Set<SimulatedBoardFault>] = [:]
        for spec in simFaults {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let n = Int(parts[0]), n >= 1, let kind = SimulatedBoardFault(rawValue: parts[1]) else {
                throw StationInputError("--sim-fault \(spec): expected N=KIND with KIND one of "
                                        + SimulatedBoardFault.allCases.map(\.rawValue).joined(separator: ", "))
            }
            faults[n, default: []].insert(kind)
        }
        return faults
    }

    static let simulatedAttachBudgetMs = 3_000
    static let simulatedCheckTimeoutMs = 5_000

    static func defaultBatchName(soc: String) -> String {
        let day = ISO8601DateFormatter.withMilliseconds.string(from: Date()).prefix(10)
        return "\(day) \((soc as NSString).lastPathComponent)"
    }
}

/// Counts verdicts and hands out board slots up to the limit.
private final class Tally: Sendable {
    private let state: Mutex<(claimed: Int, passed: Int, failed: Int, other: Int, stopped: Bool)>
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
        state = Mutex((0, 0, 0, 0, false))
    }

    /// Whether another board may start.
    func claim() -> Bool {
        state.withLock { s in
            guard s.claimed < limit, !s.stopped else { return false }
            s.claimed += 1
            return true
        }
    }

    /// No more boards start (the station is stopping).
    func stopClaiming() {
        state.withLock { $0.stopped = true }
    }

    func record(_ status: RunStatus) {
        state.withLock { s in
            switch status {
            case .pass: s.passed += 1
            case .fail: s.failed += 1
            case .interrupted, .running: s.other += 1
            }
        }
    }

    var counts: (Int, Int, Int) { state.withLock { ($0.passed, $0.failed, $0.other) } }
}

/// A bad station option.
struct StationInputError: ProvisionFailure {
    let description: String
    init(_ description: String) { self.description = description }
    var exitCode: Int32 { ProvisionExit.inputError }
}
