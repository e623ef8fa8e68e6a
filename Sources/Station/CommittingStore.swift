import Foundation
import Records

/// A results store whose writes are not cancelled with the task that asks for them: when the
/// station stops, a slot's task is cancelled, but the record of what happened to its board must
/// still be committed. Each call runs in a task of its own and is awaited.
struct CommittingStore: ResultsStore {
    let base: any ResultsStore

    init(_ base: any ResultsStore) {
        self.base = base
    }

    private func uncancelled<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task { try await body() }.value
    }

    func migrate() async throws { try await uncancelled { [base] in try await base.migrate() } }
    func schemaVersion() async throws -> Int { try await uncancelled { [base] in try await base.schemaVersion() } }
    func ensureBatch(_ batch: BatchInfo) async throws {
        try await uncancelled { [base] in try await base.ensureBatch(batch) }
    }
    func startRun(_ run: RunStart) async throws { try await uncancelled { [base] in try await base.startRun(run) } }
    func recordPhase(runID: String, _ phase: PhaseRecord) async throws {
        try await uncancelled { [base] in try await base.recordPhase(runID: runID, phase) }
    }
    func recordCheck(runID: String, _ check: CheckRecord) async throws {
        try await uncancelled { [base] in try await base.recordCheck(runID: runID, check) }
    }
    func recordVerdict(runID: String, _ verdict: VerdictRecord) async throws {
        try await uncancelled { [base] in try await base.recordVerdict(runID: runID, verdict) }
    }
    func recordEvent(_ event: EventRecord) async throws {
        try await uncancelled { [base] in try await base.recordEvent(event) }
    }
    func events(runID: String) async throws -> [EventRecord] {
        try await base.events(runID: runID)
    }
    func finishRun(_ finish: RunFinish) async throws {
        try await uncancelled { [base] in try await base.finishRun(finish) }
    }
    func undeliveredRuns(stationID: String) async throws -> [String] {
        try await base.undeliveredRuns(stationID: stationID)
    }
    func markDelivered(runID: String) async throws {
        try await uncancelled { [base] in try await base.markDelivered(runID: runID) }
    }
    func claimLease(stationID: String, holder: LeaseHolder, now: Date, timing: LeaseTiming,
                    replacing: String?) async throws -> LeaseClaim {
        try await uncancelled { [base] in
            try await base.claimLease(stationID: stationID, holder: holder, now: now, timing: timing, replacing: replacing)
        }
    }
    func renewLease(stationID: String, holderToken: String, now: Date) async throws -> Bool {
        try await uncancelled { [base] in try await base.renewLease(stationID: stationID, holderToken: holderToken, now: now) }
    }
    func releaseLease(stationID: String, holderToken: String) async throws {
        try await uncancelled { [base] in try await base.releaseLease(stationID: stationID, holderToken: holderToken) }
    }
    func markInterruptedRuns(stationID: String, at: Date) async throws -> Int {
        try await uncancelled { [base] in try await base.markInterruptedRuns(stationID: stationID, at: at) }
    }
    func recordGate(runID: String, _ gate: GateResult) async throws {
        try await uncancelled { [base] in try await base.recordGate(runID: runID, gate) }
    }
    func recordBoardData(runID: String, _ ref: BoardDataRef) async throws {
        try await uncancelled { [base] in try await base.recordBoardData(runID: runID, ref) }
    }
    func recordRework(runID: String, of earlier: String) async throws {
        try await uncancelled { [base] in try await base.recordRework(runID: runID, of: earlier) }
    }
    func passedRun(imei: String) async throws -> String? {
        try await uncancelled { [base] in try await base.passedRun(imei: imei) }
    }
    func runs(_ query: RunQuery) async throws -> [RunRecord] {
        try await uncancelled { [base] in try await base.runs(query) }
    }
    func close() async { await base.close() }
}
