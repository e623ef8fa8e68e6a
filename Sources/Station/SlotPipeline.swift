import Firmware
import Foundation
import Records
import Synchronization
import Vocabulary

/// Settings of the per-slot pipeline, taken from the profile.
public struct PipelineSettings: Sendable {
    public var flow: [StationStep]
    public var deadlines: [StationStep: Duration]
    public var retries: [RetryBudget: Int]
    public var batch: String
    public var stationID: String
    public var firmwareSHA256: String?
    public var scriptSHA256: String?
    /// What the `app_log` step checks (required when the flow has that step).
    public var appLog: AppLogPlan?
    /// Each final record is queued in the store's webhook outbox with its verdict (a webhook is set).
    public var queueForDelivery = false
    /// Where boards get their per-board data (the provisioning phase looks a keyed row up by the
    /// board's identity; a pool's row comes with the run).
    public var boardData: (any BoardDataSource)?
    /// What of a board's row is written where (the profile's `[provisioning]`); empty: nothing.
    public var boardDataLayout = BoardDataLayout()
    /// Where a row's file names are looked up (the data file's folder).
    public var boardFilesFolder = FileManager.default.currentDirectoryPath
    /// The clock steps' deadlines run on.
    public var clock: any StationClock = SystemStationClock()
    /// The identity gates judged when the `qa` step's verdict passed (nil: none).
    public var identityGates: IdentityGates?

    public init(flow: [StationStep] = StationStep.fullFlow, deadlines: [StationStep: Duration],
                retries: [RetryBudget: Int] = [:], batch: String, stationID: String,
                firmwareSHA256: String? = nil, scriptSHA256: String? = nil) {
        self.flow = flow
        self.deadlines = deadlines
        self.retries = retries
        self.batch = batch
        self.stationID = stationID
        self.firmwareSHA256 = firmwareSHA256
        self.scriptSHA256 = scriptSHA256
    }

    /// Flow, deadlines and retries from a profile. `flow` overrides the profile's `[station] flow`.
    public init(profile: Profile, flow: [StationStep]? = nil, batch: String, stationID: String) {
        self.init(flow: flow ?? profile.flow, deadlines: profile.stepDeadlines, retries: profile.retries,
                  batch: batch, stationID: stationID)
    }
}

/// How one board's run ended.
public struct RunOutcome: Sendable, Equatable {
    public var runID: String
    public var status: RunStatus
    public var failureClass: FailureClass?
    public var failedStep: StationStep?
    public var detail: String?
    public var stepSeconds: [StationStep: Double]
    /// The identity gates' results (the record's `gate_results`), empty when none ran.
    public var gateResults: [GateResult] = []
    /// In rework mode, the earlier passed run of this board's IMEI (the record's `rework_of`).
    public var reworkOf: String? = nil
}

/// Runs the station pipeline for one board in one slot: each step under its deadline and retry
/// budget, each decision committed to the results store before the next step starts.
public actor SlotPipeline {
    public let slotLabel: String
    private let settings: PipelineSettings
    private let store: any ResultsStore
    private let emit: @Sendable (StationEvent) -> Void
    /// Default deadline for a step the profile gives none.
    static let fallbackDeadline: Duration = .seconds(300)

    public init(slotLabel: String, settings: PipelineSettings, store: any ResultsStore,
                emit: @escaping @Sendable (StationEvent) -> Void) {
        self.slotLabel = slotLabel
        self.settings = settings
        // Decisions are committed even while the station is stopping (Ctrl-C cancels the slot).
        self.store = CommittingStore(store)
        self.emit = emit
    }

    /// Runs the whole flow on `board` and records it. Throws only when the store fails (the
    /// record cannot be kept); board failures are outcomes.
    /// `boardData` is the row the board was given before it started (a pool's); its reference,
    /// never its values, is kept in the run's record.
    public func run(_ board: any SlotBoard, runID: String = UUID().uuidString,
                    boardData: BoardDataRow? = nil) async throws -> RunOutcome {
        let slot = board.slotPath
        let label = slotLabel
        // Every event but progress is also kept in the store, in order, before the run goes on.
        let sequence = Mutex(0)
        let send: @Sendable (StationEvent.Kind) async throws -> Void = { [emit, store] kind in
            let event = StationEvent(slotPath: slot, slotLabel: label, runID: runID, kind: kind)
            emit(event)
            if case .progress = kind { return }
            let seq = sequence.withLock { n -> Int in n += 1; return n }
            try await store.recordEvent(EventRecord(runID: runID, at: event.at, kind: event.name, payload: event.jsonLine,
                                                    seq: seq))
        }
        let sendProgress: @Sendable (StationEvent.Kind) -> Void = { [emit] kind in
            emit(StationEvent(slotPath: slot, slotLabel: label, runID: runID, kind: kind))
        }
        try await store.startRun(RunStart(runID: runID, batch: settings.batch, stationID: settings.stationID,
                                          slotPath: slot, slotLabel: label, firmwareSHA256: settings.firmwareSHA256,
                                          scriptSHA256: settings.scriptSHA256, boardData: boardData?.ref))
        try await send(.runStarted)
        var seconds: [StationStep: Double] = [:]
        var identities: (imei: String?, iccid: String?) = (nil, nil)
        var gates = IdentityGateOutcome(results: [], failure: nil, reworkOf: nil)
        // Counted from the flasher's task as it goes, so a flash that times out still counts.
        let repeats = Mutex(FlashRepeatCounts())
        let repeated: @Sendable (FlashRepeat) -> Void = { kind in repeats.withLock { $0.add(kind) } }

        // The board's own data rides with the flow's last flash, once: no second boot entry.
        let dataStep = settings.boardDataLayout.isEmpty || settings.boardData == nil
            ? nil : settings.flow.last { $0 == .flashScript || $0 == .flashFull }
        for step in settings.flow {
            if Task.isCancelled {
                return try await interrupt(runID: runID, before: step, identities: identities, seconds: seconds,
                                           repeats: repeats.withLock { $0 }, send: send)
            }
            let budget = settings.retries[step.retryBudget] ?? 0
            var attempt = 0
            while true {
                attempt += 1
                try await send(.stepStarted(step, attempt: attempt))
                let started = Date()
                let before = repeats.withLock { $0 }
                let knownIdentities = identities
                var dataWrite: (@Sendable () async throws -> BoardDataWrite)?
                if step == dataStep {
                    dataWrite = { [boardData] () async throws -> BoardDataWrite in
                        try await self.boardDataWrite(row: boardData, runID: runID, identities: knownIdentities)
                    }
                }
                var result = await perform(step, on: board, progress: { done, total in
                    sendProgress(.progress(step, done: done, total: total))
                }, repeated: repeated, boardData: dataWrite)
                if step == .qa, case .success(let qa?) = result, let facts = qa.identity,
                   let identityGates = settings.identityGates {
                    gates = await identityGates.evaluate(facts, slotLabel: label, asking: { prompt in
                        try? await send(.operatorAction(step, prompt: prompt))
                    })
                    for gate in gates.results {
                        try await store.recordGate(runID: runID, gate)
                        try await send(.gate(gate))
                    }
                    if let earlier = gates.reworkOf { try await store.recordRework(runID: runID, of: earlier) }
                    if let failure = gates.failure { result = .failure(failure, qa) }
                }
                let ended = Date()
                let stepRepeats = repeats.withLock { $0 }.since(before)
                let sendRepeats = { () async throws -> Void in
                    if !stepRepeats.isZero {
                        try await send(.flashRepeats(step, naks: stepRepeats.naks, retries: stepRepeats.retries))
                    }
                }
                let elapsed = ended.timeIntervalSince(started)
                seconds[step, default: 0] += elapsed
                switch result {
                case .success(let qa):
                    try await store.recordPhase(runID: runID, PhaseRecord(name: step.rawValue, startedAt: started,
                                                                          endedAt: ended, outcome: "ok",
                                                                          flashNAKs: stepRepeats.naks,
                                                                          flashRetries: stepRepeats.retries))
                    try await send(.stepFinished(step, outcome: "ok", seconds: elapsed, detail: nil))
                    try await sendRepeats()
                    identities = try await keep(qa, runID: runID, identities: identities, send: send)
                case .failure(let failure, let qa) where failure.failureClass == FailureClass.interrupted:
                    try await store.recordPhase(runID: runID, PhaseRecord(
                        name: step.rawValue, startedAt: started, endedAt: ended, outcome: "interrupted",
                        detail: failure.detail, flashNAKs: stepRepeats.naks, flashRetries: stepRepeats.retries))
                    try await send(.stepFinished(step, outcome: "interrupted", seconds: elapsed, detail: failure.detail))
                    try await sendRepeats()
                    // A QA verdict reached before the stop (the label wait) is kept like any other.
                    identities = try await keep(qa, runID: runID, identities: identities, send: send)
                    var outcome = try await interrupt(runID: runID, before: nil, identities: identities, seconds: seconds,
                                                      repeats: repeats.withLock { $0 }, send: send)
                    outcome.gateResults = gates.results
                    return outcome
                case .failure(let failure, let qa):
                    try await store.recordPhase(runID: runID, PhaseRecord(
                        name: step.rawValue, startedAt: started, endedAt: ended, outcome: "fail",
                        detail: failure.description, flashNAKs: stepRepeats.naks, flashRetries: stepRepeats.retries))
                    try await send(.stepFinished(step, outcome: "fail", seconds: elapsed, detail: failure.description))
                    try await sendRepeats()
                    identities = try await keep(qa, runID: runID, identities: identities, send: send)
                    if failure.retryable && attempt <= budget { continue }
                    let total = repeats.withLock { $0 }
                    try await store.finishRun(RunFinish(
                        runID: runID, status: .fail, failureClass: failure.failureClass, failurePhase: step.rawValue,
                        detail: failure.detail, imei: identities.imei, iccid: identities.iccid,
                        flashNAKs: total.naks, flashRetries: total.retries, queueForDelivery: settings.queueForDelivery))
                    try await send(.verdict(.fail, failureClass: failure.failureClass, step: step, detail: failure.detail))
                    return RunOutcome(runID: runID, status: .fail, failureClass: failure.failureClass,
                                      failedStep: step, detail: failure.detail, stepSeconds: seconds,
                                      gateResults: gates.results, reworkOf: gates.reworkOf)
                }
                break
            }
        }
        let total = repeats.withLock { $0 }
        try await store.finishRun(RunFinish(runID: runID, status: .pass, imei: identities.imei,
                                            iccid: identities.iccid, flashNAKs: total.naks, flashRetries: total.retries, queueForDelivery: settings.queueForDelivery))
        try await send(.verdict(.pass, failureClass: nil, step: nil, detail: nil))
        return RunOutcome(runID: runID, status: .pass, failureClass: nil, failedStep: nil, detail: nil,
                          stepSeconds: seconds, gateResults: gates.results, reworkOf: gates.reworkOf)
    }

    /// The board's row made into what its flash writes: the row it was given (a pool's), or the
    /// one its identity looks up (`--board-data`), whose reference the record keeps.
    private func boardDataWrite(row given: BoardDataRow?, runID: String,
                                identities: (imei: String?, iccid: String?)) async throws -> BoardDataWrite {
        guard let source = settings.boardData else { throw StepFailure(failureClass: .boardDataFailed, detail: "no board data source") }
        var row = given
        if row == nil && !source.claimsBeforeStart {
            do {
                row = try await source.claim(for: BoardDataRequest(runID: runID, slotLabel: slotLabel,
                                                                   imei: identities.imei, iccid: identities.iccid))
            } catch let error as BoardDataError {
                throw StepFailure(failureClass: .boardDataFailed, detail: error.description)
            }
            if let row { try await store.recordBoardData(runID: runID, row.ref) }
        }
        guard let row else {
            let key = settings.boardDataLayout.keyColumn
            let value = key == "iccid" ? identities.iccid : identities.imei
            throw StepFailure(failureClass: .boardDataFailed,
                              detail: "\(source.name): no row for \(key) \(value ?? "(unknown)")")
        }
        return try BoardDataWrite(row: row.values, source: "\(row.ref.source) row \(row.ref.row)",
                                  layout: settings.boardDataLayout, filesFolder: settings.boardFilesFolder)
    }

    /// Ends a run the station stopped (Ctrl-C) as `interrupted`, recorded like any other outcome.
    private func interrupt(runID: String, before step: StationStep?, identities: (imei: String?, iccid: String?),
                           seconds: [StationStep: Double], repeats: FlashRepeatCounts,
                           send: @Sendable (StationEvent.Kind) async throws -> Void) async throws -> RunOutcome {
        let detail = "the station was stopped" + (step.map { " before \($0.rawValue)" } ?? "")
        try await store.finishRun(RunFinish(runID: runID, status: .interrupted,
                                            failureClass: FailureClass.interrupted, failurePhase: step?.rawValue,
                                            detail: detail, imei: identities.imei, iccid: identities.iccid,
                                            flashNAKs: repeats.naks, flashRetries: repeats.retries, queueForDelivery: settings.queueForDelivery))
        try await send(.verdict(.interrupted, failureClass: FailureClass.interrupted, step: step, detail: detail))
        return RunOutcome(runID: runID, status: .interrupted, failureClass: FailureClass.interrupted,
                          failedStep: step, detail: detail, stepSeconds: seconds)
    }

    /// Records a QA step's verdict and checks and returns the identities learnt so far.
    private func keep(_ qa: QAResult?, runID: String, identities: (imei: String?, iccid: String?),
                      send: @Sendable (StationEvent.Kind) async throws -> Void) async throws -> (imei: String?, iccid: String?) {
        guard let qa else { return identities }
        // The verdict is a decision like the checks: committed before the pipeline moves on.
        if let verdict = qa.verdict { try await store.recordVerdict(runID: runID, verdict) }
        for check in qa.checks {
            try await store.recordCheck(runID: runID, check)
            try await send(.check(check))
        }
        return (qa.imei ?? identities.imei, qa.iccid ?? identities.iccid)
    }

    private enum StepResult {
        case success(QAResult?)
        case failure(StepFailure, QAResult?)
    }

    private func perform(_ step: StationStep, on board: any SlotBoard,
                         progress: @escaping @Sendable (Int, Int) -> Void,
                         repeated: @escaping @Sendable (FlashRepeat) -> Void,
                         boardData: (@Sendable () async throws -> BoardDataWrite)?) async -> StepResult {
        let limit = settings.deadlines[step] ?? Self.fallbackDeadline
        let appLog = settings.appLog
        do {
            let qa: QAResult? = try await withDeadline(limit, step: step, clock: settings.clock) {
                switch step {
                case .enterDownloadMode: try await board.enterDownloadMode(); return nil
                case .flashFull: try await board.flashFull(boardData: try await boardData?(), progress: progress, repeated: repeated); return nil
                case .waitRunning: try await board.waitRunning(); return nil
                case .qa: return try await board.runQA()
                case .flashScript: try await board.flashScript(boardData: try await boardData?(), progress: progress, repeated: repeated); return nil
                case .bootCheck: try await board.bootCheck(); return nil
                case .appLog:
                    guard let plan = appLog else {
                        throw StepFailure(failureClass: .appLogFailed, detail: "the profile gives no qa.app_log expectations")
                    }
                    return try await board.checkAppLog(plan)
                }
            }
            if let qa, !qa.passed {
                return .failure(StepFailure(failureClass: qa.failureClass ?? .qaFailed,
                                            detail: qa.detail ?? "the QA verdict is FAIL"), qa)
            }
            return .success(qa)
        } catch let failure as StepFailure {
            return .failure(failure, nil)
        } catch is CancellationError {
            return .failure(StepFailure(failureClass: FailureClass.interrupted,
                                        detail: "the station was stopped during \(step.rawValue)"), nil)
        } catch {
            return .failure(StepFailure(failureClass: .stepError(step), detail: "\(error)"), nil)
        }
    }
}
