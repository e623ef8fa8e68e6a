import Firmware
import Foundation
@testable import QA
import Records
import Station
import Testing
import Vocabulary

@Suite struct SlotPipelineTests {
    private func store() async throws -> SQLResultsStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("station-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try await StoreURL.open(folder.appendingPathComponent("r.sqlite").path)
        try await store.ensureBatch(BatchInfo(name: "b1"))
        return store
    }

    private func settings(deadline: Duration = .seconds(30), retries: [RetryBudget: Int] = [.flash: 1]) -> PipelineSettings {
        PipelineSettings(deadlines: Dictionary(uniqueKeysWithValues: StationStep.allCases.map { ($0, deadline) }),
                         retries: retries, batch: "b1", stationID: "st-test")
    }

    @Test func cleanBoardPassesEveryStepInOrderAndIsRecorded() async throws {
        let store = try await store()
        let log = EventLog()
        let pipeline = SlotPipeline(slotLabel: "A1", settings: settings(), store: store, emit: log.add)
        let board = ScriptedBoard(slotPath: "1-1.1")
        let outcome = try await pipeline.run(board, runID: "r1")
        #expect(outcome.status == .pass)
        #expect(board.calls.withLock { $0 } == StationStep.fullFlow)
        let run = try #require(try await store.runs(RunQuery()).first)
        #expect(run.status == .pass)
        #expect(run.imei == "860000000000011")
        #expect(run.phases.map(\.name) == StationStep.fullFlow.map(\.rawValue))
        #expect(run.checks.map(\.name) == ["get"])
        #expect(log.all.last?.kind == .verdict(.pass, failureClass: nil, step: nil, detail: nil))
        // The store keeps the same events, in order, but no progress ticks.
        let kept = try await store.events(runID: "r1")
        #expect(kept.map(\.kind) == log.all.filter { if case .progress = $0.kind { false } else { true } }.map(\.name))
        #expect(kept.map(\.seq) == Array(1...kept.count))
        #expect(kept.first?.kind == "run_started" && kept.last?.kind == "verdict")
        await store.close()
    }

    @Test func retryableFlashFailureIsRetriedWithinItsBudget() async throws {
        let store = try await store()
        let nak = StepFailure(failureClass: FailureClass(rawValue: "flash_nak"), detail: "block 3 NAKed", retryable: true)
        let board = ScriptedBoard(slotPath: "1-1.2", behaviours: [.flashFull: .fail(nak, times: 1)])
        let outcome = try await SlotPipeline(slotLabel: "A2", settings: settings(), store: store, emit: { _ in })
            .run(board)
        #expect(outcome.status == .pass)
        let run = try #require(try await store.runs(RunQuery()).first)
        #expect(run.phases.filter { $0.name == "flash_full" }.map(\.outcome) == ["fail", "ok"])
        await store.close()
    }

    @Test func failureBeyondTheBudgetStopsTheRunWithItsClass() async throws {
        let store = try await store()
        let nak = StepFailure(failureClass: FailureClass(rawValue: "flash_nak"), detail: "block 3 NAKed", retryable: true)
        let board = ScriptedBoard(slotPath: "1-1.3", behaviours: [.flashFull: .fail(nak, times: 5)])
        let outcome = try await SlotPipeline(slotLabel: "A3", settings: settings(), store: store, emit: { _ in })
            .run(board)
        #expect(outcome.status == .fail)
        #expect(outcome.failureClass == FailureClass(rawValue: "flash_nak"))
        #expect(outcome.failedStep == .flashFull)
        #expect(board.calls.withLock { $0 } == [.enterDownloadMode, .flashFull, .flashFull])
        let run = try #require(try await store.runs(RunQuery()).first)
        #expect(run.status == .fail)
        #expect(run.failurePhase == "flash_full")
        await store.close()
    }

    @Test func qaVerdictFailRecordsChecksAndTheBoardIdentity() async throws {
        let store = try await store()
        let qa = QAResult(passed: false, checks: [
            CheckRecord(name: "get", passed: true, code: 200, durationMs: 90),
            CheckRecord(name: "download", passed: false, code: 200, durationMs: 900, failureClass: .contentMismatch),
        ], imei: "860000000000099", iccid: "8986", failureClass: .contentMismatch, detail: "download hash differs")
        let board = ScriptedBoard(slotPath: "1-1.4", qa: qa)
        let outcome = try await SlotPipeline(slotLabel: "A4", settings: settings(), store: store, emit: { _ in })
            .run(board)
        #expect(outcome.failureClass == .contentMismatch)
        #expect(outcome.failedStep == .qa)
        let run = try #require(try await store.runs(RunQuery()).first)
        #expect(run.imei == "860000000000099")
        #expect(run.checks.map(\.passed) == [false, true])   // sorted by name: download, get
        await store.close()
    }

    @Test func aHungStepFailsOnItsDeadlineAndOtherSlotsFinish() async throws {
        let store = try await store()
        let hung = ScriptedBoard(slotPath: "1-1.5", behaviours: [.waitRunning: .hang])
        let clean = ScriptedBoard(slotPath: "1-1.6")
        let short = settings(deadline: .milliseconds(300))
        async let a = SlotPipeline(slotLabel: "A5", settings: short, store: store, emit: { _ in }).run(hung)
        async let b = SlotPipeline(slotLabel: "A6", settings: settings(), store: store, emit: { _ in }).run(clean)
        let (hungOutcome, cleanOutcome) = try await (a, b)
        #expect(hungOutcome.status == .fail)
        #expect(hungOutcome.failureClass == .timeout)
        #expect(hungOutcome.failedStep == .waitRunning)
        #expect(cleanOutcome.status == .pass)
        await store.close()
    }

    @Test func aShorterFlowFromTheProfileRunsOnlyItsSteps() async throws {
        let store = try await store()
        var short = settings()
        short.flow = [.enterDownloadMode, .flashScript, .waitRunning, .bootCheck]
        let board = ScriptedBoard(slotPath: "1-1.7")
        let outcome = try await SlotPipeline(slotLabel: "A7", settings: short, store: store, emit: { _ in }).run(board)
        #expect(outcome.status == .pass)
        #expect(board.calls.withLock { $0 } == short.flow)
        await store.close()
    }
}

@Suite struct StationEventJSONTests {
    @Test func eventsAreFlatJSONObjectsForMES() throws {
        let at = Date(timeIntervalSince1970: 1_790_000_000.25)
        let events: [(StationEvent.Kind, [String])] = [
            (.stepStarted(.flashFull, attempt: 2), ["\"event\":\"step_started\"", "\"step\":\"flash_full\"", "\"attempt\":2"]),
            (.progress(.flashFull, done: 10, total: 40), ["\"event\":\"progress\"", "\"done\":10", "\"total\":40"]),
            (.verdict(.fail, failureClass: .timeout, step: .qa, detail: "qa did not finish"),
             ["\"event\":\"verdict\"", "\"status\":\"fail\"", "\"failure_class\":\"timeout\"", "\"step\":\"qa\""]),
            (.check(CheckRecord(name: "get", passed: true, code: 200, durationMs: 81)),
             ["\"event\":\"check\"", "\"check\":\"get\"", "\"passed\":true", "\"code\":200"]),
        ]
        for (kind, expected) in events {
            let line = StationEvent(at: at, slotPath: "1-1.3", slotLabel: "A3", runID: "r9", kind: kind).jsonLine
            #expect(!line.contains("\n"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["slot"] as? String == "1-1.3")
            #expect(object["run"] as? String == "r9")
            #expect(object["at"] as? String == "2026-09-21T14:13:20.250Z")
            for field in expected {
                #expect(line.contains(field), "\(field) missing in \(line)")
            }
        }
    }
}

@Suite struct SlotPipelineStopTests {
    @Test func stoppingTheStationRecordsTheRunInFlightAsInterrupted() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("station-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await StoreURL.open(folder.appendingPathComponent("r.sqlite").path)
        try await store.ensureBatch(BatchInfo(name: "b1"))
        let started = AsyncStream.makeStream(of: Void.self)
        let settings = PipelineSettings(
            deadlines: Dictionary(uniqueKeysWithValues: StationStep.allCases.map { ($0, Duration.seconds(600)) }),
            batch: "b1", stationID: "st")
        let pipeline = SlotPipeline(slotLabel: "A1", settings: settings, store: store, emit: { event in
            if case .stepStarted(.qa, _) = event.kind { started.continuation.yield() }
        })
        let board = ScriptedBoard(slotPath: "1-1.1", behaviours: [.qa: .hang])
        let run = Task { try await pipeline.run(board, runID: "r1") }
        for await _ in started.stream { break }   // the board is in its (hung) QA step
        run.cancel()
        let outcome = try await run.value
        #expect(outcome.status == .interrupted)
        #expect(outcome.failureClass == .interrupted)
        let record = try #require(try await store.runs(RunQuery()).first)
        #expect(record.status == .interrupted)
        #expect(record.phases.last?.name == "qa")
        #expect(record.phases.last?.outcome == "interrupted")
        await store.close()
    }
}

@Suite struct PipelineSettingsProfileTests {
    @Test func everyStepTakesItsDeadlineAndRetriesFromTheProfile() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles/air780e.toml")
        let profile = try Profile.load(url.path)
        let settings = PipelineSettings(profile: profile, batch: "b", stationID: "s")
        for step in StationStep.allCases {
            #expect(settings.deadlines[step] == profile.stepDeadlines[step], "\(step)")
            #expect(settings.deadlines[step] != nil, "\(step) has no deadline in the shipped profile")
        }
        #expect(settings.retries == profile.retries)
    }

    @Test func theProfileNamesEveryStepAndItsDefaultFlowIsTheFullPipeline() {
        #expect(Profile.stepsNeedingDeadlines.compactMap(StationStep.init(rawValue:)).count == Profile.stepsNeedingDeadlines.count)
        // The profile's validation reads the one list of steps: adding a step touches one place.
        #expect(Profile.knownSteps == StationStep.allCases.map(\.rawValue))
        #expect(Profile.defaultFlow.compactMap(StationStep.init(rawValue:)) == StationStep.fullFlow)
    }

    @Test func aShorterFlowIsAProfileChange() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles/air780e.toml")
        var text = try String(contentsOf: url, encoding: .utf8)
        let start = try #require(text.range(of: "\nflow = ["))
        let end = try #require(text.range(of: "]", range: start.upperBound..<text.endIndex))
        text.replaceSubrange(start.lowerBound..<end.upperBound,
                             with: "\n" + #"flow = ["enter_download_mode", "flash_script", "wait_running", "boot_check"]"#)
        let profile = try Profile(toml: text, source: "short.toml")
        let settings = PipelineSettings(profile: profile, batch: "b", stationID: "s")
        #expect(settings.flow == [.enterDownloadMode, .flashScript, .waitRunning, .bootCheck])
        text = text.replacingOccurrences(of: #""boot_check"]"#, with: #""boot_chek"]"#)
        #expect(throws: FirmwareError.self) { try Profile(toml: text, source: "typo.toml") }
    }
}

/// The QA verdict is kept with the run as received, and the record can be checked against the
/// board's signature; each flash step keeps its own NAKs and retries.
@Suite struct SlotPipelineVerdictTests {
    static let key = "00112233445566778899aabbccddeeff"

    /// A verdict on a report the board signed with the session key, as the QA server hands it over.
    static func signedVerdict() -> QAVerdict {
        let body = Array(#"{"sid":"5e55","imei":"860000000000011","iccid":"89860000000000000011","csq":23,"fw":"V1112","checks":[{"name":"get","code":200,"ms":120,"ok":true}]}"#.utf8)
        let report = QASignedReport(body: body, signature: QASignature.hex(body, key: key), key: key)
        return QAVerdict(sessionID: "5e55", boardID: "b", pass: true, failure: nil,
                         checks: [QACheckVerdict(check: "get", pass: true, failure: nil, boardMs: 120, serverAtMs: 7,
                                                 detail: "served", code: 200)],
                         imei: "860000000000011", iccid: "89860000000000000011", csq: 23, firmware: "V1112",
                         reportAtMs: 100, deadlineMs: 1000, notes: [], signedReport: report)
    }

    private func recorded(_ board: any SlotBoard) async throws -> RunRecord {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("station-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try await StoreURL.open(folder.appendingPathComponent("r.sqlite").path)
        try await store.ensureBatch(BatchInfo(name: "b1"))
        let settings = PipelineSettings(
            deadlines: Dictionary(uniqueKeysWithValues: StationStep.allCases.map { ($0, Duration.seconds(30)) }),
            batch: "b1", stationID: "st")
        _ = try await SlotPipeline(slotLabel: "A1", settings: settings, store: store, emit: { _ in }).run(board)
        let run = try #require(try await store.runs(RunQuery()).first)
        await store.close()
        return run
    }

    @Test func theVerdictIsKeptWithTheRunAndItsSignatureChecksOut() async throws {
        let run = try await recorded(ScriptedBoard(slotPath: "1-1.1", qa: QAResult(verdict: Self.signedVerdict())))
        let verdict = try #require(run.verdict)
        #expect(verdict.sessionID == "5e55")
        #expect(verdict.key == Self.key)
        #expect(verdict.csq == 23)
        #expect(verdict.checkCodes == [VerdictRecord.CheckCode(check: "get", code: 200, failureClass: nil)])
        #expect(Data(base64Encoded: verdict.reportBase64 ?? "").map { [UInt8]($0) } == Self.signedVerdict().signedReport?.body)
        #expect(run.checks.first?.code == 200)
        #expect(run.imei == "860000000000011")
        #expect(VerdictSignatureCheck(run) == .ok)
    }

    @Test func anEditedRecordNoLongerMatchesWhatTheBoardSigned() async throws {
        let run = try await recorded(ScriptedBoard(slotPath: "1-1.1", qa: QAResult(verdict: Self.signedVerdict())))
        var body = try #require(Data(base64Encoded: run.verdict?.reportBase64 ?? ""))
        body[body.count / 2] ^= 0x01
        var tampered = run
        tampered.verdict?.reportBase64 = body.base64EncodedString()
        #expect(VerdictSignatureCheck(tampered) == .mismatch(reason: "the signature does not match the kept report"))

        var relabelled = run
        relabelled.imei = "860000000000099"
        guard case .mismatch(let reason) = VerdictSignatureCheck(relabelled) else {
            Issue.record("an edited IMEI must not pass")
            return
        }
        #expect(reason.contains("IMEI 860000000000099 in the record, 860000000000011 in the signed report"))

        var keyless = run
        keyless.verdict?.key = nil
        #expect(VerdictSignatureCheck(keyless) != .ok)

        var older = run
        older.verdict = nil
        #expect(VerdictSignatureCheck(older) == .notSigned)
    }

    @Test func aVerdictWithoutAnAcceptedReportIsKeptButNotSigned() async throws {
        var verdict = Self.signedVerdict()
        verdict.signedReport = nil
        let run = try await recorded(ScriptedBoard(slotPath: "1-1.1", qa: QAResult(verdict: verdict)))
        #expect(run.verdict?.sessionID == "5e55")
        #expect(VerdictSignatureCheck(run) == .notSigned)
    }

    @Test func eachFlashStepKeepsItsOwnRepeats() async throws {
        let board = RepeatingBoard(base: ScriptedBoard(slotPath: "1-1.1"),
                                   full: [.nak, .retry, .nak], script: [.retry])
        let run = try await recorded(board)
        let full = try #require(run.phases.first { $0.name == "flash_full" })
        let script = try #require(run.phases.first { $0.name == "flash_script" })
        #expect((full.flashNAKs, full.flashRetries) == (2, 1))
        #expect((script.flashNAKs, script.flashRetries) == (0, 1))
        #expect((run.flashNAKs, run.flashRetries) == (2, 2))
        #expect(run.phases.filter { !$0.name.hasPrefix("flash") }.allSatisfy { $0.flashNAKs == 0 && $0.flashRetries == 0 })
        #expect(run.flashRepeatsBySteps)
    }
}

/// A scripted board whose flashes report the given repeats, as the flasher does.
private struct RepeatingBoard: SlotBoard {
    let base: ScriptedBoard
    let full: [FlashRepeat]
    let script: [FlashRepeat]

    var slotPath: String { base.slotPath }
    func enterDownloadMode() async throws { try await base.enterDownloadMode() }
    func flashFull(boardData: BoardDataWrite?, progress: @escaping @Sendable (Int, Int) -> Void,
                   repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        full.forEach(repeated)
        try await base.flashFull(boardData: boardData, progress: progress, repeated: repeated)
    }
    func waitRunning() async throws { try await base.waitRunning() }
    func runQA() async throws -> QAResult { try await base.runQA() }
    func flashScript(boardData: BoardDataWrite?, progress: @escaping @Sendable (Int, Int) -> Void,
                     repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws {
        script.forEach(repeated)
        try await base.flashScript(boardData: boardData, progress: progress, repeated: repeated)
    }
    func bootCheck() async throws { try await base.bootCheck() }
    func checkAppLog(_ plan: AppLogPlan) async throws -> QAResult { try await base.checkAppLog(plan) }
}
