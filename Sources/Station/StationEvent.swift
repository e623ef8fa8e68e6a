import Foundation
import Records
import Vocabulary

/// The one event type that flows up from slots: the CLI renders it (live lines, plain lines, JSON
/// lines), the results store keeps it, a webhook can forward it.
public struct StationEvent: Sendable, Equatable, Codable {
    public enum Kind: Sendable, Equatable, Codable {
        case runStarted
        case stepStarted(StationStep, attempt: Int)
        case progress(StationStep, done: Int, total: Int)
        case stepFinished(StationStep, outcome: String, seconds: Double, detail: String?)
        case check(CheckRecord)
        /// What a flash step went through before it ended: NAKs and retries (sent only when
        /// there were any; the run record keeps the totals).
        case flashRepeats(StationStep, naks: Int, retries: Int)
        /// A boot-entry strategy began, named as the profile names it (`software`, …).
        case bootEntryStrategy(StationStep, name: String)
        /// The operator must act on the board (hold BOOT and reset it): the slot's line says so.
        case operatorAction(StationStep, prompt: String)
        /// The flasher began one image of the plan (`image` is its kind: bootloader, ap, cp, script).
        case imageStarted(StationStep, image: String, name: String, bytes: Int)
        /// The flasher resent a command or restarted a block, and why.
        case flashRetry(StationStep, phase: String, image: String?, offset: Int?, reason: String)
        /// The device refused a command (a NAK), whether or not a retry recovered it.
        case flashNAK(StationStep, phase: String, image: String?, offset: Int?, command: String)
        /// The board answered SYS_RST; `answerOK` is false when the answer was not `ZzZzZzZz`.
        case resetAnswered(StationStep, answerOK: Bool)
        /// What the board holds of one image was read back and matched what was written.
        case imageVerified(StationStep, image: String, bytes: Int)
        case verdict(RunStatus, failureClass: FailureClass?, step: StationStep?, detail: String?)
        /// One identity gate's result, judged after the QA verdict.
        case gate(GateResult)
    }

    public var at: Date
    public var slotPath: String
    public var slotLabel: String
    public var runID: String
    public var kind: Kind

    public init(at: Date = Date(), slotPath: String, slotLabel: String, runID: String, kind: Kind) {
        self.at = at
        self.slotPath = slotPath
        self.slotLabel = slotLabel
        self.runID = runID
        self.kind = kind
    }
}
