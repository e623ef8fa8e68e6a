import Foundation
import Vocabulary

/// How a run ended. `running` rows that outlive their station become `interrupted` on its next start.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running, pass, fail, interrupted
}

/// A batch: the boards flashed for one work order (or one shift), the unit reports are made for.
public struct BatchInfo: Sendable, Equatable, Codable {
    public var name: String
    public var operatorID: String?
    public var workOrder: String?
    public var profile: String?
    public var createdAt: Date

    public init(name: String, operatorID: String? = nil, workOrder: String? = nil, profile: String? = nil,
                createdAt: Date = Date()) {
        self.name = name
        self.operatorID = operatorID
        self.workOrder = workOrder
        self.profile = profile
        self.createdAt = createdAt
    }
}

/// The start of one board's run through the station pipeline.
public struct RunStart: Sendable, Equatable {
    public var runID: String
    public var batch: String
    public var stationID: String
    /// Physical USB path of the slot (`1-1.3`), the slot's identity.
    public var slotPath: String
    public var slotLabel: String
    public var firmwareSHA256: String?
    public var scriptSHA256: String?
    public var startedAt: Date
    /// The per-board data row the run was given (schema v8), never its values.
    public var boardData: BoardDataRef?

    public init(runID: String = UUID().uuidString, batch: String, stationID: String, slotPath: String,
                slotLabel: String, firmwareSHA256: String? = nil, scriptSHA256: String? = nil,
                startedAt: Date = Date(), boardData: BoardDataRef? = nil) {
        self.boardData = boardData
        self.runID = runID
        self.batch = batch
        self.stationID = stationID
        self.slotPath = slotPath
        self.slotLabel = slotLabel
        self.firmwareSHA256 = firmwareSHA256
        self.scriptSHA256 = scriptSHA256
        self.startedAt = startedAt
    }
}

/// One pipeline phase of a run (`flash_full`, `qa`, …) with its outcome.
public struct PhaseRecord: Sendable, Equatable, Codable {
    public var name: String
    public var startedAt: Date
    public var endedAt: Date
    /// `ok`, `fail`, `skipped` or `interrupted`.
    public var outcome: String
    public var detail: String?
    /// Commands the board refused (NAK) during this attempt, when it was a flash (schema v6;
    /// 0 for phases recorded before, whose run kept only totals).
    public var flashNAKs: Int
    /// Commands resent and blocks restarted during this attempt, when it was a flash.
    public var flashRetries: Int

    public init(name: String, startedAt: Date, endedAt: Date, outcome: String, detail: String? = nil,
                flashNAKs: Int = 0, flashRetries: Int = 0) {
        self.name = name
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.detail = detail
        self.flashNAKs = flashNAKs
        self.flashRetries = flashRetries
    }

    public var duration: TimeInterval { endedAt.timeIntervalSince(startedAt) }
}

/// One QA check's verdict (`get`, `download`, …).
public struct CheckRecord: Sendable, Equatable, Codable {
    public var name: String
    public var passed: Bool
    /// The HTTP status or LuatOS library code the board reported.
    public var code: Int?
    public var durationMs: Int
    public var failureClass: FailureClass?
    public var detail: String?

    public init(name: String, passed: Bool, code: Int? = nil, durationMs: Int, failureClass: FailureClass? = nil,
                detail: String? = nil) {
        self.name = name
        self.passed = passed
        self.code = code
        self.durationMs = durationMs
        self.failureClass = failureClass
        self.detail = detail
    }
}

/// A raw station event kept for diagnosis (the JSON the CLI emits with `--json`).
public struct EventRecord: Sendable, Equatable {
    public var runID: String?
    public var at: Date
    public var kind: String
    public var payload: String
    /// Position among the run's events (events can share a millisecond).
    public var seq: Int

    public init(runID: String?, at: Date = Date(), kind: String, payload: String, seq: Int = 0) {
        self.runID = runID
        self.at = at
        self.kind = kind
        self.payload = payload
        self.seq = seq
    }
}

/// How a run ended, with the board's identities when they were learnt.
public struct RunFinish: Sendable, Equatable {
    public var runID: String
    public var status: RunStatus
    public var failureClass: FailureClass?
    /// The `StationStep` name of the step that failed (stored as `failure_phase`).
    public var failurePhase: String?
    public var detail: String?
    public var imei: String?
    public var iccid: String?
    public var finishedAt: Date
    /// Commands the board refused (NAK) during the run's flashes, retried or not.
    public var flashNAKs: Int
    /// Commands the flasher resent and blocks it restarted during the run's flashes.
    public var flashRetries: Int
    /// The final record is to be posted to the webhook: an outbox row is written in the same
    /// commit as the verdict, so no decided record can be left neither delivered nor queued.
    public var queueForDelivery: Bool

    public init(runID: String, status: RunStatus, failureClass: FailureClass? = nil, failurePhase: String? = nil,
                detail: String? = nil, imei: String? = nil, iccid: String? = nil, finishedAt: Date = Date(),
                flashNAKs: Int = 0, flashRetries: Int = 0, queueForDelivery: Bool = false) {
        self.runID = runID
        self.status = status
        self.failureClass = failureClass
        self.failurePhase = failurePhase
        self.detail = detail
        self.imei = imei
        self.iccid = iccid
        self.finishedAt = finishedAt
        self.flashNAKs = flashNAKs
        self.flashRetries = flashRetries
        self.queueForDelivery = queueForDelivery
    }
}

/// A run as read back for reports: everything recorded about it.
public struct RunRecord: Sendable, Equatable, Codable {
    public var runID: String
    public var batch: String
    public var stationID: String
    public var slotPath: String
    public var slotLabel: String
    public var imei: String?
    public var iccid: String?
    public var firmwareSHA256: String?
    public var scriptSHA256: String?
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: RunStatus
    public var failureClass: FailureClass?
    /// The `StationStep` name of the step that failed (stored as `failure_phase`).
    public var failurePhase: String?
    public var detail: String?
    /// NAKs and retries of the run's flashes (0 for a run recorded before schema v3 kept them).
    public var flashNAKs: Int
    public var flashRetries: Int
    public var phases: [PhaseRecord]
    public var checks: [CheckRecord]
    /// The QA verdict as received, signature included; nil for a run without one (no QA step
    /// reached, an app-log flow, or recorded before schema v6).
    public var verdict: VerdictRecord?
    /// The per-board data row the run was given (nil: none, or recorded before schema v8).
    public var boardData: BoardDataRef? = nil
    /// The identity gates' results, by gate name.
    public var gates: [GateResult] = []
    /// The earlier passed run of the same IMEI this run reworks.
    public var reworkOf: String? = nil
}

/// Which runs a report covers.
public struct RunQuery: Sendable, Equatable {
    public var batch: String?
    public var since: Date?
    /// One run (a webhook posting a board's final record).
    public var runID: String?

    public init(batch: String? = nil, since: Date? = nil, runID: String? = nil) {
        self.batch = batch
        self.since = since
        self.runID = runID
    }
}
