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
        case verdict(RunStatus, failureClass: FailureClass?, step: StationStep?, detail: String?)
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
