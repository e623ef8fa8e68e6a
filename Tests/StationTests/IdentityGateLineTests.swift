import BoardSim
import Firmware
import Foundation
import LuaImage
import QA
import Records
import SimulatedLine
import Station
import Synchronization
import Testing
import TestSupport
import Vocabulary

/// Each identity gate on a simulated line: the real flasher, the simulated LuatOS runtime running
/// the project's QA script, the station's QA server, the one board driver. Boards differ only in
/// what they are (IMEI, SIM, signal, firmware, calibration); each fails with its gate's class, and
/// boards that are right pass.
@Suite(.serialized) struct IdentityGateLineTests {
    typealias Rig = StationRunnerTests.Rig

    /// What the observer was told; `onEvent` acts on events as they come (the operator).
    final class Seen: StationObserver {
        let events = Mutex<[StationEvent]>([])
        let onEvent: @Sendable (StationEvent) -> Void
        init(onEvent: @escaping @Sendable (StationEvent) -> Void = { _ in }) { self.onEvent = onEvent }
        func show(_ event: StationEvent) {
            events.withLock { $0.append(event) }
            onEvent(event)
        }
        func note(_ text: String) {}
        func slotNote(path: String, label: String, step: String, _ text: String) {}
    }

    /// The synthetic `.soc` under its vendor name, so it says its version (V1112).
    static func vendorNamedRig() throws -> Rig {
        let rig = try Rig.make()
        let path = rig.folder.appendingPathComponent("LuatOS-SoC_V1112_EC618_FULL.soc").path
        let package = try SocPackage(bytes: SyntheticSoc().make(), path: path)
        return Rig(folder: rig.folder, package: package, profile: rig.profile, production: rig.production, options: rig.options)
    }

    static let ecnpicfg: Set<String> = ["LUAT_USE_MOBILE_ECNPICFG"]

    func gateEvents(_ seen: Seen) -> [String: [GateResult]] {
        var bySlot: [String: [GateResult]] = [:]
        for event in seen.events.withLock({ $0 }) {
            if case .gate(let gate) = event.kind { bySlot[event.slotLabel, default: []].append(gate) }
        }
        return bySlot
    }

    @Test func eachGateFailsItsBoardWithItsClassAndRightBoardsPass() async throws {
        let rig = try Self.vendorNamedRig()
        defer { rig.remove() }
        var config = rig.configuration(limit: 7)
        config.profile.gates = IdentityGateSettings(imeiLuhn: true, simRequired: true, minCSQ: 10, firmwareVersion: true,
                                                    calibration: true)
        var model = SimulatedFixture.BoardModel(scriptPartition: rig.package.plan.scriptPartition,
                                                planBytes: rig.package.plan.totalBytes)
        func identity(_ n: Int, _ change: (inout RuntimeIdentity) -> Void) -> RuntimeIdentity {
            var id = RuntimeIdentity.simulated(n)
            change(&id)
            return id
        }
        model.variants = [
            // 1: a board as it should be (V1112, no ecnpicfg in its build: calibration skipped).
            2: .init(identity: identity(2) { $0.imei = "862011060000020" }),        // check digit should be 7
            3: .init(identity: identity(3) { $0.iccid = nil }),                     // no SIM
            4: .init(identity: identity(4) { $0.csq = 6 }),                         // weak signal
            5: .init(firmwareVersion: "V1111"),                                     // other firmware
            6: .init(identity: identity(6) { $0.rfCalibration = .lost }, buildOptions: Self.ecnpicfg),
            7: .init(buildOptions: Self.ecnpicfg),                                  // calibration readable and done
        ]
        let seen = Seen()
        let summary = try await StationRunner(configuration: config, observer: seen)
            .run(boards: SimulatedFixture(slots: 7, model: model))
        let runs = try await rig.runs()
        #expect(runs.count == 7)
        let bySlot = Dictionary(uniqueKeysWithValues: runs.map { ($0.slotLabel, $0) })
        let expected: [String: FailureClass?] = [
            "slot1": nil, "slot2": .badIMEI, "slot3": .noSIM, "slot4": .weakSignal, "slot5": .firmwareMismatch,
            "slot6": .calibrationLost, "slot7": nil,
        ]
        for (slot, failure) in expected {
            let run = try #require(bySlot[slot], "\(slot)")
            #expect(run.failureClass == failure, "\(slot): \(run.failureClass?.rawValue ?? "pass") \(run.detail ?? "")")
            #expect(run.status == (failure == nil ? .pass : .fail), "\(slot)")
        }
        #expect(summary.passed == 2 && summary.failed == 5)
        // The board's word, as judged: the failing gate names what it saw.
        #expect(bySlot["slot2"]?.detail?.contains("862011060000020") == true)
        #expect(bySlot["slot4"]?.detail?.contains("CSQ 6") == true)
        #expect(bySlot["slot5"]?.detail?.contains("V1111") == true)
        #expect(bySlot["slot6"]?.detail?.contains("rfCaliDone 0") == true)
        let gates = gateEvents(seen)
        // Without mobile.ecnpicfg the calibration gate is skipped and says so; with it, judged.
        let absent = try #require(gates["slot1"]?.first { $0.name == "calibration" })
        #expect(absent.skipped && absent.passed && (absent.detail ?? "").contains("absent"))
        let judged = try #require(gates["slot7"]?.first { $0.name == "calibration" })
        #expect(!judged.skipped && judged.passed && (judged.detail ?? "").contains("rfCaliDone 1"))
        #expect(gates["slot1"]?.map(\.name) == ["imei_luhn", "sim_required", "min_csq", "firmware_version", "calibration"])
        #expect(gates["slot1"]?.filter { !$0.skipped }.allSatisfy(\.passed) == true)
    }

    /// The duplicate-IMEI gate asks the results store itself (its passed runs), as a station
    /// sharing a store with others would.
    struct StorePassedIMEIs: PassedIMEILookup {
        let url: String
        func passedRun(imei: String) async throws -> String? {
            let store = try await StoreURL.openForReading(url)
            let runs = try await store.runs(RunQuery())
            await store.close()
            return runs.first { $0.status == .pass && $0.imei == imei }?.runID
        }
    }

    @Test func anIMEIThatPassedFailsDuplicateAndReworkModeLinksTheEarlierRun() async throws {
        let rig = try Self.vendorNamedRig()
        defer { rig.remove() }
        func start(rework: Bool) async throws -> (StationRunSummary, Seen) {
            var config = rig.configuration(limit: 1)
            config.profile.gates = IdentityGateSettings(imeiLuhn: true, duplicateIMEI: true)
            config.passedIMEILookup = StorePassedIMEIs(url: rig.storeURL)
            config.rework = rework
            let seen = Seen()
            let summary = try await StationRunner(configuration: config, observer: seen).run(boards: rig.fixture(slots: 1))
            return (summary, seen)
        }
        let (first, _) = try await start(rework: false)
        #expect(first.passed == 1)
        let earlier = try #require(try await rig.runs().first { $0.status == .pass })

        // The same board again (board 1, the same IMEI): a duplicate.
        let (again, _) = try await start(rework: false)
        #expect(again.failed == 1)
        let duplicate = try #require(try await rig.runs().first { $0.status == .fail })
        #expect(duplicate.failureClass == .duplicateIMEI)
        #expect(duplicate.detail?.contains(earlier.runID) == true)

        // In rework mode it passes, linked to the run where it first passed.
        let (rework, seen) = try await start(rework: true)
        #expect(rework.passed == 1)
        let link = try #require(gateEvents(seen)["slot1"]?.first { $0.name == "duplicate_imei" })
        #expect(link.passed && (link.detail ?? "").contains("rework of run \(earlier.runID)"))
    }

    @Test func theScannedLabelMustCarryTheBoardsIMEI() async throws {
        let rig = try Self.vendorNamedRig()
        defer { rig.remove() }
        var config = rig.configuration(limit: 2)
        config.profile.gates = IdentityGateSettings(labelScan: true, labelTimeout: .seconds(120))
        let labels = LineLabelSource()
        let (lines, scanner) = AsyncStream.makeStream(of: String.self)
        await labels.read(lines, knownSlot: { $0.hasPrefix("slot") })
        config.labelSource = labels
        // The operator scans when the slot asks: slot1's label is right, slot2's is another board's.
        let seen = Seen { event in
            guard case .operatorAction(_, let prompt) = event.kind, prompt.contains("label") else { return }
            let number = event.slotLabel == "slot1" ? 1 : 9
            scanner.yield("\(event.slotLabel) SN-0\(number) IMEI \(RuntimeIdentity.simulated(number).imei)")
        }
        let summary = try await StationRunner(configuration: config, observer: seen).run(boards: rig.fixture(slots: 2))
        scanner.finish()
        let runs = try await rig.runs()
        let bySlot = Dictionary(uniqueKeysWithValues: runs.map { ($0.slotLabel, $0) })
        #expect(bySlot["slot1"]?.status == .pass, "\(bySlot["slot1"]?.detail ?? "")")
        #expect(bySlot["slot2"]?.failureClass == .labelMismatch)
        #expect(bySlot["slot2"]?.detail?.contains(RuntimeIdentity.simulated(2).imei) == true)
        #expect(summary.passed == 1 && summary.failed == 1)
    }
}
