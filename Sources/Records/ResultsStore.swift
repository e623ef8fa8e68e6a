import Foundation

/// Where every board's record goes. Each call is committed before it returns, so a crash or power
/// cut loses nothing already decided. SQLite (one file, WAL) by default; PostgreSQL when several
/// stations share one store.
public protocol ResultsStore: Sendable {
    /// Brings the schema up to the current version (idempotent; safe with several stations).
    func migrate() async throws
    /// The schema version now in the store.
    func schemaVersion() async throws -> Int
    /// Creates the batch if it does not exist yet.
    func ensureBatch(_ batch: BatchInfo) async throws
    func startRun(_ run: RunStart) async throws
    func recordPhase(runID: String, _ phase: PhaseRecord) async throws
    func recordCheck(runID: String, _ check: CheckRecord) async throws
    /// Keeps the QA verdict of a run as received (a retried QA step's replaces the earlier one),
    /// with the board's identities it carries.
    func recordVerdict(runID: String, _ verdict: VerdictRecord) async throws
    func recordEvent(_ event: EventRecord) async throws
    /// A run's events in the order they happened.
    func events(runID: String) async throws -> [EventRecord]
    func finishRun(_ finish: RunFinish) async throws
    /// Marks `stationID`'s runs still `running` as `interrupted` (a station that died mid-batch).
    /// Returns how many were marked.
    func markInterruptedRuns(stationID: String, at: Date) async throws -> Int
    /// Run ids of `stationID` whose final record waits in the webhook outbox, oldest first.
    func undeliveredRuns(stationID: String) async throws -> [String]
    /// Takes a delivered run out of the webhook outbox.
    func markDelivered(runID: String) async throws
    /// Takes `stationID`'s lease for `holder` at `now`: a free id, an id already ours, or one whose
    /// last heartbeat is older than `timing`'s expiry (the holder is taken to have crashed); and
    /// the lease held by `replacing` whatever its age (its process is known to be gone). Any other
    /// holder's lease is live and is returned, untouched.
    func claimLease(stationID: String, holder: LeaseHolder, now: Date, timing: LeaseTiming,
                    replacing: String?) async throws -> LeaseClaim
    /// Renews `holder`'s heartbeat at `now`; false when the lease is no longer `holder`'s.
    func renewLease(stationID: String, holderToken: String, now: Date) async throws -> Bool
    /// Gives `stationID`'s lease up if `holder` still holds it (a clean stop frees the id at once).
    func releaseLease(stationID: String, holderToken: String) async throws
    /// Names the per-board data row a run was given once it is known (a keyed row, looked up by
    /// the board's identity during the run).
    func recordBoardData(runID: String, _ ref: BoardDataRef) async throws
    /// Keeps one identity gate's result on a run (a gate decided again replaces its earlier result).
    func recordGate(runID: String, _ gate: GateResult) async throws
    /// Links a run to the earlier passed run of the same IMEI it reworks (rework mode).
    func recordRework(runID: String, of earlier: String) async throws
    /// The newest passed run of `imei`, if any.
    func passedRun(imei: String) async throws -> String?
    /// The runs a report covers, oldest first, with their phases and checks.
    func runs(_ query: RunQuery) async throws -> [RunRecord]
    func close() async
}

/// A store refused: bad URL, unreachable server, SQL failure. Names the store.
public struct RecordsError: Error, Equatable, Sendable, CustomStringConvertible {
    public let store: String
    public let reason: String
    /// Bad input rather than an unready machine: the store is named wrongly (a malformed URL, a
    /// file that is not a store) or holds a value this tool cannot read. The user fixes the
    /// command line or the data, not the machine.
    public let isInputError: Bool

    public init(store: String, reason: String, isInputError: Bool = false) {
        self.store = store
        self.reason = reason
        self.isInputError = isInputError
    }

    public var description: String { "\(store): \(reason)" }
}
