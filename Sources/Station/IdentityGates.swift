import Records
import Firmware
import Foundation
import QA
import Vocabulary

/// The identity gates a profile's `[gates]` turns on, in the order they are judged. Each fails a
/// board with its own class.
public enum IdentityGate: String, Sendable, CaseIterable, Codable {
    case imeiLuhn = "imei_luhn"
    case duplicateIMEI = "duplicate_imei"
    case sim = "sim_required"
    case signal = "min_csq"
    case firmwareVersion = "firmware_version"
    case calibration
    case label = "label_scan"

    public var failureClass: FailureClass {
        switch self {
        case .imeiLuhn: .badIMEI
        case .duplicateIMEI: .duplicateIMEI
        case .sim: .noSIM
        case .signal: .weakSignal
        case .firmwareVersion: .firmwareMismatch
        case .calibration: .calibrationLost
        case .label: .labelMismatch
        }
    }
}


/// Where the duplicate-IMEI gate asks whether an IMEI already passed: the results store.
public protocol PassedIMEILookup: Sendable {
    /// The run id of an earlier passed run of a board with `imei`, or nil when there is none.
    func passedRun(imei: String) async throws -> String?
}

/// Where the label-scan gate gets the label the operator scanned for a slot.
public protocol LabelSource: Sendable {
    /// The next label scanned for `slot` (the slot's label as the operator sees it), or nil when
    /// no more labels can come (the input ended). Cancelling the task gives up the wait.
    func scannedLabel(slot: String) async -> String?
}

/// What a board said about itself in its signed QA report: the facts the gates judge.
public struct BoardIdentityFacts: Sendable, Equatable {
    public var imei: String?
    public var iccid: String?
    public var csq: Int?
    /// `rtos.version()`.
    public var firmware: String?
    /// `mobile.ecnpicfg()`'s answer, `absent` on a build without it; nil when the report
    /// carries no such field.
    public var rfCalibration: QARFCalibration?

    public init(imei: String?, iccid: String?, csq: Int?, firmware: String?, rfCalibration: QARFCalibration?) {
        self.imei = imei
        self.iccid = iccid
        self.csq = csq
        self.firmware = firmware
        self.rfCalibration = rfCalibration
    }

    public init(verdict: QAVerdict) {
        self.init(imei: verdict.imei, iccid: verdict.iccid, csq: verdict.csq, firmware: verdict.firmware,
                  rfCalibration: verdict.rfCalibration)
    }
}

/// The gates' verdict on one board.
public struct IdentityGateOutcome: Sendable, Equatable {
    /// Every gate that is on, in `IdentityGate` order.
    public var results: [GateResult]
    /// The first failing gate as a step failure (its class, "gate: why"); nil when all passed.
    public var failure: StepFailure?
    /// In rework mode: the earlier passed run of this IMEI, which the new record links to.
    public var reworkOf: String?

    public init(results: [GateResult], failure: StepFailure?, reworkOf: String?) {
        self.results = results
        self.failure = failure
        self.reworkOf = reworkOf
    }
}

/// A gate setting the station cannot honour (no store to ask, no label input): refused at start.
public struct IdentityGateSetupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Judges a board's identity after its QA verdict passed, as the profile's `[gates]` say.
public struct IdentityGates: Sendable {
    public var settings: IdentityGateSettings
    /// The version the `.soc` says it is (`IdentityGates.expectedFirmware(of:)`); nil: unknown,
    /// and the firmware gate is skipped with a note.
    public var expectedFirmware: String?
    /// Rework mode (`--rework`): a board whose IMEI already passed is taken again, its record
    /// linked to the earlier one.
    public var rework: Bool
    public var passedRuns: (any PassedIMEILookup)?
    public var labels: (any LabelSource)?
    /// The clock the label wait runs on.
    public var clock: any StationClock = SystemStationClock()

    /// Refuses settings that need what the station was not given, before any board is touched.
    public init(settings: IdentityGateSettings, expectedFirmware: String?, rework: Bool = false,
                passedRuns: (any PassedIMEILookup)?, labels: (any LabelSource)?) throws {
        if settings.duplicateIMEI && passedRuns == nil {
            throw IdentityGateSetupError("gates.duplicate_imei is on, but the results store cannot be asked for passed IMEIs")
        }
        if settings.labelScan && labels == nil {
            throw IdentityGateSetupError("gates.label_scan is on, but the station has no label input (--label-scan, or --console for its page)")
        }
        self.settings = settings
        self.expectedFirmware = expectedFirmware
        self.rework = rework
        self.passedRuns = passedRuns
        self.labels = labels
    }

    /// The version a `.soc` says it is: `LUAT_BSP_VERSION` from the vendor file name
    /// (`LuatOS-SoC_V1112_EC618_FULL.soc`, luatos-formats §1.5), which is what the firmware's
    /// `rtos.version()` returns; else `info.json`'s `rom.version-bsp` unless it is the build
    /// system's placeholder (`v0001`, luatos-formats §1.6). Nil when neither says.
    public static func expectedFirmware(of package: SocPackage) -> String? {
        if let name = package.fileNameVersion { return name }
        if let bsp = package.info.versionBSP, !bsp.isEmpty, bsp.lowercased() != placeholderVersion { return bsp }
        return nil
    }

    static let placeholderVersion = "v0001"

    /// Judges `facts` for the board in `slotLabel`; `asking` tells the operator what to do when
    /// the label gate waits for a scan.
    public func evaluate(_ facts: BoardIdentityFacts, slotLabel: String,
                         asking: @Sendable (String) async -> Void = { _ in }) async -> IdentityGateOutcome {
        var results: [GateResult] = []
        var failure: StepFailure?
        var reworkOf: String?
        func record(_ gate: IdentityGate, _ verdict: Verdict) {
            switch verdict {
            case .pass(let detail): results.append(GateResult(name: gate.rawValue, passed: true, detail: detail))
            case .skip(let detail): results.append(GateResult(name: gate.rawValue, passed: true, detail: detail, skipped: true))
            case .fail(let detail, let failureClass):
                results.append(GateResult(name: gate.rawValue, passed: false, detail: detail))
                if failure == nil {
                    failure = StepFailure(failureClass: failureClass ?? gate.failureClass, detail: "\(gate.rawValue): \(detail)")
                }
            }
        }
        let s = settings
        if s.imeiLuhn { record(.imeiLuhn, Self.imeiVerdict(facts.imei)) }
        if s.duplicateIMEI {
            let (verdict, earlier) = await duplicateVerdict(facts.imei)
            reworkOf = earlier
            record(.duplicateIMEI, verdict)
        }
        if s.simRequired { record(.sim, Self.simVerdict(facts.iccid)) }
        if let min = s.minCSQ { record(.signal, Self.signalVerdict(facts.csq, min: min)) }
        if s.firmwareVersion { record(.firmwareVersion, Self.firmwareVerdict(facts.firmware, expected: expectedFirmware)) }
        if s.calibration { record(.calibration, Self.calibrationVerdict(facts.rfCalibration)) }
        if s.labelScan {
            if let failure {
                // The board failed already; the operator is not kept waiting for its label.
                record(.label, .skip("not asked: the board failed \(failure.failureClass.rawValue)"))
            } else {
                await asking("scan the board's label (\(slotLabel) LABEL)")
                let (verdict, stopped) = await labelVerdict(facts.imei, slotLabel: slotLabel)
                if stopped {
                    return IdentityGateOutcome(results: results, failure: StepFailure(
                        failureClass: FailureClass.interrupted, detail: "the station was stopped while waiting for a label"),
                        reworkOf: reworkOf)
                }
                record(.label, verdict)
            }
        }
        return IdentityGateOutcome(results: results, failure: failure, reworkOf: reworkOf)
    }

    enum Verdict: Equatable {
        case pass(String)
        case skip(String)
        /// Fails with the gate's class unless another is given (the store could not be asked).
        case fail(String, FailureClass? = nil)
    }

    static func imeiVerdict(_ imei: String?) -> Verdict {
        guard let imei else { return .fail("the board reported no IMEI") }
        if let problem = IMEI.problem(imei) { return .fail("IMEI \(imei): \(problem)") }
        return .pass("IMEI \(imei) is well-formed")
    }

    func duplicateVerdict(_ imei: String?) async -> (Verdict, String?) {
        // imei_luhn is the gate for a missing IMEI; there is nothing to look up.
        guard let imei, let passedRuns else { return (.skip("no IMEI reported, nothing to look up"), nil) }
        let earlier: String?
        do {
            earlier = try await passedRuns.passedRun(imei: imei)
        } catch {
            return (.fail("the results store could not be asked whether IMEI \(imei) passed: \(error)",
                          FailureClass.stepError(.qa)), nil)
        }
        guard let earlier else { return (.pass("IMEI \(imei) has not passed before"), nil) }
        if rework { return (.pass("rework of run \(earlier), where IMEI \(imei) passed"), earlier) }
        return (.fail("IMEI \(imei) already passed in run \(earlier) (not in rework mode)"), nil)
    }

    static func simVerdict(_ iccid: String?) -> Verdict {
        guard let iccid, !iccid.isEmpty else { return .fail("the board reports no ICCID (no SIM card)") }
        return .pass("ICCID \(iccid)")
    }

    /// CSQ 99 is "not known or not detectable" (3GPP TS 27.007 §8.5).
    static let unknownCSQ = 99

    static func signalVerdict(_ csq: Int?, min: Int) -> Verdict {
        guard let csq else { return .fail("the board reported no CSQ (minimum \(min))") }
        if csq == unknownCSQ { return .fail("CSQ 99: the signal is not known (minimum \(min))") }
        return csq >= min ? .pass("CSQ \(csq), minimum \(min)") : .fail("CSQ \(csq) is below the minimum \(min)")
    }

    static func firmwareVerdict(_ reported: String?, expected: String?) -> Verdict {
        guard let expected else {
            return .skip("the .soc does not say its version (no LuatOS-SoC_<VER>_EC618 file name, placeholder version-bsp)")
        }
        guard let reported else { return .fail("the board reported no firmware version (.soc is \(expected))") }
        let same = reported.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(expected) == .orderedSame
        return same ? .pass("firmware \(reported)") : .fail("the board runs \(reported), the .soc is \(expected)")
    }

    static func calibrationVerdict(_ calibration: QARFCalibration?) -> Verdict {
        switch calibration {
        case nil: return .skip("the QA report carries no calibration flags")
        case .absent?: return .skip("mobile.ecnpicfg is absent: the firmware was built without LUAT_USE_MOBILE_ECNPICFG")
        case .unreadable(let message)?: return .fail("mobile.ecnpicfg() failed: \(message)")
        case .flags(let passed, let cali, let nst)?:
            let flags = "rfCaliDone \(cali.map(String.init) ?? "?"), rfNSTDone \(nst.map(String.init) ?? "?")"
            return passed ? .pass(flags) : .fail("RF calibration not done: \(flags)")
        }
    }

    /// The label verdict, and whether the wait was cut short by a stop.
    func labelVerdict(_ imei: String?, slotLabel: String) async -> (Verdict, Bool) {
        guard let labels else { return (.fail("no label input"), false) }
        let scanned: String?
        do {
            scanned = try await withDeadline(settings.labelTimeout, step: .qa, clock: clock) {
                await labels.scannedLabel(slot: slotLabel)
            }
        } catch is StepFailure {
            return (.fail("no label scanned within \(settings.labelTimeout.secondsText)"), false)
        } catch {
            return (.skip("not judged: the station was stopped"), true)
        }
        guard let scanned else { return (.fail("no label scanned (the label input ended)"), false) }
        guard let imei, !imei.isEmpty else { return (.fail("label \"\(scanned)\" scanned, but the board reported no IMEI"), false) }
        return scanned.contains(imei) ? (.pass("label \"\(scanned)\" carries IMEI \(imei)"), false)
            : (.fail("label \"\(scanned)\" does not carry the board's IMEI \(imei)"), false)
    }
}

/// The results store answers the duplicate-IMEI gate (the newest passed run of an IMEI).
extension SQLResultsStore: PassedIMEILookup {}
