import EC618
import Foundation
import QA
import Records
import Vocabulary

/// What the station needs from one board in one slot. The real driver (udev + links + flasher)
/// and the simulated one implement it; the pipeline only sequences, times and records.
public protocol SlotBoard: Sendable {
    /// Physical USB path of the slot (`1-1.3`): the slot's identity.
    var slotPath: String { get }
    func enterDownloadMode() async throws
    /// Full flash; `progress(done, total)` in bytes; `repeated` once per NAK and per retry the
    /// flasher made, so the run record keeps what a recovered flash went through. `boardData`
    /// (the flow's last flash carries it) is written into the board's fskv and LittleFS regions.
    func flashFull(boardData: BoardDataWrite?, progress: @escaping @Sendable (Int, Int) -> Void,
                   repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws
    func waitRunning() async throws
    /// Runs the QA checks and returns their verdicts and the board's identities.
    func runQA() async throws -> QAResult
    func flashScript(boardData: BoardDataWrite?, progress: @escaping @Sendable (Int, Int) -> Void,
                     repeated: @escaping @Sendable (FlashRepeat) -> Void) async throws
    func bootCheck() async throws
    /// Reads the running app's log until `plan`'s expectations are met or its window passes.
    func checkAppLog(_ plan: AppLogPlan) async throws -> QAResult
}

/// Something a flash had to go through again: the device refused a command (a NAK), or the
/// flasher resent a command or restarted a block. A flash that recovers leaves no other trace.
public enum FlashRepeat: Sendable, Equatable {
    case nak
    case retry

    /// What a flasher event counts as, if anything.
    public init?(_ event: FlashEvent) {
        switch event {
        case .refused: self = .nak
        case .retrying: self = .retry
        default: return nil
        }
    }
}

/// A run's flash repeats so far, over every flash step and every attempt of it.
public struct FlashRepeatCounts: Sendable, Equatable {
    public var naks = 0
    public var retries = 0

    public init(naks: Int = 0, retries: Int = 0) {
        self.naks = naks
        self.retries = retries
    }

    /// Counts one more; saturating, as a count is a report figure, never worth a trap.
    public mutating func add(_ kind: FlashRepeat) {
        switch kind {
        case .nak: naks = naks.addingReportingOverflow(1).overflow ? Int.max : naks + 1
        case .retry: retries = retries.addingReportingOverflow(1).overflow ? Int.max : retries + 1
        }
    }

    public var isZero: Bool { naks == 0 && retries == 0 }

    /// What was added since `earlier` (a snapshot of the same run's counts).
    public func since(_ earlier: FlashRepeatCounts) -> FlashRepeatCounts {
        FlashRepeatCounts(naks: naks - earlier.naks, retries: retries - earlier.retries)
    }
}

/// How the `app_log` step judges a board: expectations on the app's own log lines, and how long
/// the app may take to print them.
public struct AppLogPlan: Sendable, Equatable {
    public var expectations: [AppLogExpectation]
    public var window: Duration

    public init(expectations: [AppLogExpectation], window: Duration) {
        self.expectations = expectations
        self.window = window
    }
}

/// The QA step's outcome as the pipeline records it.
public struct QAResult: Sendable, Equatable {
    public var passed: Bool
    public var checks: [CheckRecord]
    public var imei: String?
    public var iccid: String?
    /// The failure class of the board verdict when it did not pass.
    public var failureClass: FailureClass?
    public var detail: String?
    /// The QA server's verdict as the record keeps it (signed report included); nil when the
    /// step's outcome is not a QA server verdict (the app-log flow).
    public var verdict: VerdictRecord?
    /// What the board reported of itself (IMEI, ICCID, CSQ, firmware, RF calibration), which
    /// the identity gates judge; nil when the outcome is not a QA server verdict.
    public var identity: BoardIdentityFacts?

    public init(passed: Bool, checks: [CheckRecord], imei: String? = nil, iccid: String? = nil,
                failureClass: FailureClass? = nil, detail: String? = nil, verdict: VerdictRecord? = nil) {
        self.passed = passed
        self.checks = checks
        self.imei = imei
        self.iccid = iccid
        self.failureClass = failureClass
        self.detail = detail
        self.verdict = verdict
    }
}

extension QAResult {
    /// The QA server's verdict as the pipeline records it; identities the verdict lacks come
    /// from `fallback` (what the station knows of the board otherwise).
    public init(verdict: QAVerdict, fallbackIMEI: String? = nil, fallbackICCID: String? = nil) {
        let checks = verdict.checks.map { c in
            CheckRecord(name: c.check, passed: c.pass, code: c.code, durationMs: c.boardMs ?? 0,
                        failureClass: c.failure, detail: c.detail.isEmpty ? nil : c.detail)
        }
        let failing = verdict.checks.first { !$0.pass }
        self.init(passed: verdict.pass, checks: checks, imei: verdict.imei ?? fallbackIMEI,
                  iccid: verdict.iccid ?? fallbackICCID, failureClass: verdict.failure,
                  detail: failing.map { "\($0.check): \($0.detail)" }, verdict: VerdictRecord(verdict))
        // Only the board's signed word: a fallback identity the station knew otherwise is not judged.
        identity = BoardIdentityFacts(verdict: verdict)
    }
}

extension VerdictRecord {
    /// `verdict` as the record keeps it: identities only as the board reported them (a fallback
    /// the station knew otherwise is not the board's signed word).
    public init(_ verdict: QAVerdict) {
        let report = verdict.signedReport
        self.init(sessionID: verdict.sessionID, reportBase64: report.map { Data($0.body).base64EncodedString() },
                  signature: report?.signature, key: report?.key,
                  checkCodes: verdict.checks.map { CheckCode(check: $0.check, code: $0.code, failureClass: $0.failure) },
                  imei: verdict.imei, iccid: verdict.iccid, csq: verdict.csq)
    }
}

extension QAResult {
    /// The app-log verdict as the pipeline records it.
    public init(appLog checks: [QACheckVerdict], passed: Bool) {
        let records = checks.map { c in
            CheckRecord(name: c.check, passed: c.pass, code: nil, durationMs: 0, failureClass: c.failure,
                        detail: c.detail.isEmpty ? nil : c.detail)
        }
        let failing = checks.first { !$0.pass }
        self.init(passed: passed, checks: records, failureClass: failing?.failure ?? (passed ? nil : .appLogFailed),
                  detail: failing.map { "\($0.check): \($0.detail)" })
    }
}

/// A step that failed, with the class reports rank failures by.
public struct StepFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var failureClass: FailureClass
    public var detail: String
    /// Whether trying the step again may help (a NAKed block, a lost byte), as opposed to a
    /// verdict (content mismatch) or a vanished board.
    public var retryable: Bool
    /// A failed boot entry's typed diagnosis (every strategy tried and what the bus showed);
    /// `detail` says the same in words.
    public var bootEntry: BootEntryFailure?

    /// `retryable` defaults to what the class's catalogue entry says.
    public init(failureClass: FailureClass, detail: String, retryable: Bool? = nil, bootEntry: BootEntryFailure? = nil) {
        self.failureClass = failureClass
        self.detail = detail
        self.retryable = retryable ?? failureClass.retryableByDefault
        self.bootEntry = bootEntry
    }

    public var description: String { "\(failureClass.rawValue): \(detail)" }
}
