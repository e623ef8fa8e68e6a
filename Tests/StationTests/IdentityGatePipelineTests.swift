import Firmware
import Foundation
import QA
import Records
import Station
import Testing
import Vocabulary

/// The pipeline's side of the gates: they run after a passed `qa` verdict, a failing gate fails
/// the `qa` step with its class, and the outcome carries the results and the rework link (the
/// record's `gate_results` and `rework_of`).
@Suite struct IdentityGatePipelineTests {
    static let imei = "862011060000019"

    func qa(imei: String = Self.imei) -> QAResult {
        var result = QAResult(passed: true, checks: [CheckRecord(name: "get", passed: true, code: 200, durationMs: 100)],
                              imei: imei, iccid: "89860022100000010001")
        result.identity = BoardIdentityFacts(imei: imei, iccid: "89860022100000010001", csq: 20, firmware: "V1112",
                                             rfCalibration: .absent)
        return result
    }

    func run(rework: Bool, passed: [String: String], imei: String = Self.imei) async throws -> (RunOutcome, [StationEvent]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await StoreURL.open(folder.appendingPathComponent("r.sqlite").path)
        try await store.ensureBatch(BatchInfo(name: "b1"))
        var settings = PipelineSettings(deadlines: Dictionary(uniqueKeysWithValues: StationStep.allCases.map { ($0, .seconds(30)) }),
                                        batch: "b1", stationID: "st-gates")
        settings.identityGates = try IdentityGates(
            settings: IdentityGateSettings(imeiLuhn: true, duplicateIMEI: true, calibration: true),
            expectedFirmware: "V1112", rework: rework, passedRuns: InMemoryPassedIMEIs(passed), labels: nil)
        let log = EventLog()
        let outcome = try await SlotPipeline(slotLabel: "A1", settings: settings, store: store, emit: log.add)
            .run(ScriptedBoard(slotPath: "1-1.1", qa: qa(imei: imei)), runID: "r-new")
        await store.close()
        return (outcome, log.all)
    }

    @Test func reworkModeLinksTheEarlierRunOnTheOutcome() async throws {
        let (outcome, events) = try await run(rework: true, passed: [Self.imei: "r-earlier"])
        #expect(outcome.status == .pass)
        #expect(outcome.reworkOf == "r-earlier")
        #expect(outcome.gateResults.map(\.name) == ["imei_luhn", "duplicate_imei", "calibration"])
        #expect(outcome.gateResults.first { $0.name == "calibration" }?.skipped == true)
        let gateEvents = events.compactMap { if case .gate(let g) = $0.kind { g } else { nil } }
        #expect(gateEvents == outcome.gateResults)
    }

    @Test func aFailingGateFailsTheQAStepWithItsClassAndKeepsTheVerdict() async throws {
        let (outcome, _) = try await run(rework: false, passed: [Self.imei: "r-earlier"])
        #expect(outcome.status == .fail)
        #expect(outcome.failureClass == .duplicateIMEI)
        #expect(outcome.failedStep == .qa)
        #expect(outcome.reworkOf == nil)
        #expect(outcome.gateResults.contains { $0.name == "duplicate_imei" && !$0.passed })

        let (bad, _) = try await run(rework: false, passed: [:], imei: "862011060000010")
        #expect(bad.failureClass == .badIMEI && bad.failedStep == .qa)
    }
}
