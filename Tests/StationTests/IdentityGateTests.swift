import BoardSim
import Firmware
import Foundation
import QA
import Station
import Synchronization
import Testing
import Vocabulary

/// The identity gates' rules without boards: the Luhn check on real-world IMEIs, each gate's
/// verdict and class, the label input and its timeout, rework links, and the profile's `[gates]`.
@Suite struct IdentityGateTests {
    // MARK: Luhn

    @Test func luhnAcceptsRealWorldIMEIsAndRefusesOneDigitOff() {
        // 3GPP TS 23.003 Annex B's worked example, and IMEIs as printed on handset labels.
        for imei in ["490154203237518", "356938035643809", "352099001761481"] {
            #expect(IMEI.problem(imei) == nil, "\(imei)")
            #expect(Luhn.isValid(imei))
        }
        #expect(IMEI.problem("490154203237517") == "Luhn check digit is 7, expected 8")
        #expect(IMEI.problem("49015420323751") == "14 characters, not 15 digits")
        #expect(IMEI.problem("49015420323751A") == "not all digits")
        #expect(IMEI.problem("4901542032375180") != nil)
        #expect(Luhn.checkDigit(for: "49015420323751") == 8)
        #expect(IMEI.completing("35693803564380") == "356938035643809")
        #expect(Luhn.checkDigit(for: "12a") == nil)
    }

    @Test func simulatedBoardsHaveLuhnValidDistinctIMEIs() {
        let imeis = (1...200).map { RuntimeIdentity.simulated($0).imei }
        #expect(imeis.allSatisfy { IMEI.problem($0) == nil })
        #expect(Set(imeis).count == imeis.count)
    }

    // MARK: Each gate

    static let good = BoardIdentityFacts(imei: "862011060000019", iccid: "89860022100000010001", csq: 20,
                                         firmware: "V1112", rfCalibration: .flags(passed: true, rfCaliDone: 1, rfNSTDone: 1))
    static let allOn = IdentityGateSettings(imeiLuhn: true, duplicateIMEI: true, simRequired: true, minCSQ: 10,
                                            firmwareVersion: true, calibration: true)

    func gates(_ settings: IdentityGateSettings = allOn, passed: [String: String] = [:], rework: Bool = false,
               expected: String? = "V1112") throws -> IdentityGates {
        try IdentityGates(settings: settings, expectedFirmware: expected, rework: rework,
                          passedRuns: InMemoryPassedIMEIs(passed), labels: nil)
    }

    @Test func aGoodBoardPassesEveryGate() async throws {
        let outcome = try await gates().evaluate(Self.good, slotLabel: "slot1")
        #expect(outcome.failure == nil)
        #expect(outcome.results.map(\.name) == ["imei_luhn", "duplicate_imei", "sim_required", "min_csq",
                                                "firmware_version", "calibration"])
        #expect(outcome.results.allSatisfy { $0.passed && !$0.skipped }, "\(outcome.results)")
    }

    @Test(arguments: [
        ("imei", "862011060000010" as String?, "bad_imei"),
        ("imei", nil, "bad_imei"),
        ("iccid", nil, "no_sim"),
        ("firmware", "V1111", "firmware_mismatch"),
    ] as [(String, String?, String)])
    func aBadFactFailsItsGateWithItsClass(fact: String, value: String?, failure: String) async throws {
        var facts = Self.good
        switch fact {
        case "imei": facts.imei = value
        case "iccid": facts.iccid = value
        default: facts.firmware = value
        }
        let outcome = try await gates().evaluate(facts, slotLabel: "slot1")
        #expect(outcome.failure?.failureClass.rawValue == failure, "\(outcome.results)")
        #expect(outcome.results.filter { !$0.passed }.count == 1)
    }

    @Test func signalBelowTheMinimumOrUnknownFailsWeakSignal() async throws {
        for csq in [9, 99, 0] {
            var facts = Self.good
            facts.csq = csq
            let outcome = try await gates().evaluate(facts, slotLabel: "slot1")
            #expect(outcome.failure?.failureClass == .weakSignal, "csq \(csq)")
        }
        var facts = Self.good
        facts.csq = 10
        #expect(try await gates().evaluate(facts, slotLabel: "slot1").failure == nil)
    }

    @Test func lostCalibrationFailsAndAbsentEcnpicfgIsSkippedNotFailed() async throws {
        var facts = Self.good
        facts.rfCalibration = .flags(passed: false, rfCaliDone: 0, rfNSTDone: 1)
        let lost = try await gates().evaluate(facts, slotLabel: "slot1")
        #expect(lost.failure?.failureClass == .calibrationLost)
        #expect((lost.failure?.detail ?? "").contains("rfCaliDone 0") == true)

        facts.rfCalibration = .absent
        let absent = try await gates().evaluate(facts, slotLabel: "slot1")
        #expect(absent.failure == nil)
        let note = try #require(absent.results.first { $0.name == "calibration" })
        #expect(note.skipped && note.passed)
        #expect((note.detail ?? "").contains("LUAT_USE_MOBILE_ECNPICFG"))
    }

    @Test func aSocThatDoesNotSayItsVersionSkipsTheFirmwareGate() async throws {
        var facts = Self.good
        facts.firmware = "V9999"
        let outcome = try await gates(expected: nil).evaluate(facts, slotLabel: "slot1")
        #expect(outcome.failure == nil)
        #expect(outcome.results.first { $0.name == "firmware_version" }?.skipped == true)
    }

    @Test func anIMEIThatPassedBeforeFailsUnlessInReworkModeWhichLinksTheEarlierRun() async throws {
        let passed = ["862011060000019": "run-earlier"]
        let duplicate = try await gates(passed: passed).evaluate(Self.good, slotLabel: "slot1")
        #expect(duplicate.failure?.failureClass == .duplicateIMEI)
        #expect((duplicate.failure?.detail ?? "").contains("run-earlier") == true)
        #expect(duplicate.reworkOf == nil)

        let rework = try await gates(passed: passed, rework: true).evaluate(Self.good, slotLabel: "slot1")
        #expect(rework.failure == nil)
        #expect(rework.reworkOf == "run-earlier")

        let fresh = try await gates(passed: ["862011060000027": "other"], rework: true).evaluate(Self.good, slotLabel: "slot1")
        #expect(fresh.failure == nil && fresh.reworkOf == nil)
    }

    @Test func aStoreThatCannotBeAskedIsNotCalledADuplicate() async throws {
        struct Broken: PassedIMEILookup {
            func passedRun(imei: String) async throws -> String? { throw CocoaError(.fileReadNoPermission) }
        }
        let gates = try IdentityGates(settings: Self.allOn, expectedFirmware: "V1112", passedRuns: Broken(), labels: nil)
        let outcome = await gates.evaluate(Self.good, slotLabel: "slot1")
        #expect(outcome.failure?.failureClass == FailureClass.stepError(.qa))
    }

    @Test func gatesThatNeedAStoreOrALabelInputRefuseToStartWithout() {
        #expect(throws: IdentityGateSetupError.self) {
            try IdentityGates(settings: IdentityGateSettings(duplicateIMEI: true), expectedFirmware: nil,
                              passedRuns: nil, labels: nil)
        }
        #expect(throws: IdentityGateSetupError.self) {
            try IdentityGates(settings: IdentityGateSettings(labelScan: true), expectedFirmware: nil,
                              passedRuns: nil, labels: nil)
        }
    }

    // MARK: Labels

    @Test func labelLinesGoToTheirSlotOrTheSlotWaitingLongest() async throws {
        let source = LineLabelSource()
        let (lines, feed) = AsyncStream.makeStream(of: String.self)
        await source.read(lines, knownSlot: { $0.hasPrefix("slot") })
        async let first = source.scannedLabel(slot: "slot1")
        try await waitUntilWaiting(source, count: 1)
        async let second = source.scannedLabel(slot: "slot2")
        try await waitUntilWaiting(source, count: 2)
        feed.yield("slot2 IMEI:862011060000027 SN 7")   // addressed
        feed.yield("862011060000019")                    // bare: the slot waiting longest
        #expect(await second == "IMEI:862011060000027 SN 7")
        #expect(await first == "862011060000019")
        // Scanned before the slot asks: kept for it.
        feed.yield("slot3 ABC")
        try await waitUntilKept(source)
        #expect(await source.scannedLabel(slot: "slot3") == "ABC")
        feed.finish()
        #expect(await source.scannedLabel(slot: "slot4") == nil)
    }

    @Test func aLabelThatNeverComesFailsLabelMismatchAtTheTimeout() async throws {
        let clock = ManualStationClock()
        let source = LineLabelSource()
        var gates = try IdentityGates(settings: IdentityGateSettings(labelScan: true, labelTimeout: .seconds(60)),
                                      expectedFirmware: nil, passedRuns: nil, labels: source)
        gates.clock = clock
        let asked = Mutex<[String]>([])
        let task = Task { await gates.evaluate(Self.good, slotLabel: "slot1", asking: { p in asked.withLock { $0.append(p) } }) }
        try await waitUntilWaiting(source, count: 1)
        await yieldUntil { clock.sleeperCount > 0 }
        clock.advance(by: .seconds(59))
        #expect(await source.waitingCount == 1, "still waiting before the timeout")
        clock.advance(by: .seconds(1))
        let outcome = await task.value
        #expect(outcome.failure?.failureClass == .labelMismatch)
        #expect((outcome.failure?.detail ?? "").contains("no label scanned") == true)
        #expect(asked.withLock { $0 }.count == 1)
        // The slot that gave up no longer waits: a late label is kept for the next board.
        await yieldUntil { await source.waitingCount == 0 }
        #expect(await source.waitingCount == 0)
    }

    @Test func aLabelWithoutTheIMEIFailsAndOneCarryingItPasses() async throws {
        let source = LineLabelSource()
        let (lines, feed) = AsyncStream.makeStream(of: String.self)
        await source.read(lines, knownSlot: { _ in false })
        let gates = try IdentityGates(settings: IdentityGateSettings(labelScan: true), expectedFirmware: nil,
                                      passedRuns: nil, labels: source)
        feed.yield("SN:A1 IMEI:862011060000027")
        try await waitUntilKept(source)
        let wrong = await gates.evaluate(Self.good, slotLabel: "slot1")
        #expect(wrong.failure?.failureClass == .labelMismatch)
        feed.yield("SN:A1 IMEI:862011060000019")
        try await waitUntilKept(source)
        let right = await gates.evaluate(Self.good, slotLabel: "slot1")
        #expect(right.failure == nil, "\(right.results)")
    }

    // MARK: Profile

    @Test func theProfileGatesTableIsStrict() throws {
        let shipped = try Profile.load(StationRunnerTests.Rig.profilePath)
        #expect(shipped.gates.imeiLuhn && shipped.gates.simRequired && shipped.gates.minCSQ == 10)
        let text = try String(contentsOfFile: StationRunnerTests.Rig.profilePath, encoding: .utf8)
        let typo = text.replacingOccurrences(of: "sim_required = true", with: "sim_requird = true")
        #expect {
            try Profile(toml: typo, source: "p.toml")
        } throws: { "\($0)".contains("sim_requird") }
        let range = text.replacingOccurrences(of: "min_csq = 10", with: "min_csq = 40")
        #expect {
            try Profile(toml: range, source: "p.toml")
        } throws: { "\($0)".contains("gates.min_csq must be 0–31") }
        let none = text.components(separatedBy: "\n[gates]").first!
        #expect(try Profile(toml: none, source: "p.toml").gates == .off)
    }

    @Test func stationTomlTurnsReworkAndLabelScanOn() throws {
        let config = try StationConfig.parse("[station]\nrework = true\nlabel_scan = true\n", file: "station.toml")
        #expect(config.rework && config.labelScan)
        #expect(try StationConfig.parse("", file: "station.toml").rework == false)
        #expect {
            try StationConfig.parse("[station]\nrework = \"yes\"\n", file: "station.toml")
        } throws: { "\($0)".contains("station.rework: expected true or false") }
    }


    // MARK: Helpers

    /// Yields until `ready` holds (bounded: the test fails rather than hangs). No sleeping.
    private func yieldUntil(_ ready: () async -> Bool) async {
        var rounds = 0
        while await !ready(), rounds < 1_000_000 {
            rounds += 1
            await Task.yield()
        }
    }

    private func waitUntilWaiting(_ source: LineLabelSource, count: Int) async throws {
        await yieldUntil { await source.waitingCount >= count }
        #expect(await source.waitingCount >= count)
    }

    private func waitUntilKept(_ source: LineLabelSource) async throws {
        await yieldUntil { await source.keptCount > 0 }
        #expect(await source.keptCount > 0)
    }
}

/// Passed IMEIs held in memory (the store's query stands in for it on a station).
actor InMemoryPassedIMEIs: PassedIMEILookup {
    private var passed: [String: String]

    init(_ passed: [String: String] = [:]) { self.passed = passed }

    func passedRun(imei: String) async throws -> String? { passed[imei] }

    func add(imei: String, runID: String) { passed[imei] = runID }
}
