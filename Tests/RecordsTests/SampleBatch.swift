import Foundation
import Records
import Vocabulary

/// A small batch written through any store: three passes, a failure with a failed check, an
/// interrupted run, on two stations. Times are fixed so reports compare exactly.
enum SampleBatch {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    static let batch = BatchInfo(name: "WO-42, \"night\"", operatorID: "op7", workOrder: "WO-42", profile: "air780e",
                                 createdAt: t0)

    struct Board {
        let label: String
        let path: String
        let imei: String
        let status: RunStatus
        let flashSeconds: Double
        let qaSeconds: Double
    }

    static let boards: [Board] = [
        Board(label: "A1", path: "1-1.1", imei: "860000000000011", status: .pass, flashSeconds: 31.5, qaSeconds: 40),
        Board(label: "A2", path: "1-1.2", imei: "860000000000029", status: .pass, flashSeconds: 29.0, qaSeconds: 35),
        Board(label: "A3", path: "1-1.3", imei: "860000000000037", status: .fail, flashSeconds: 30.2, qaSeconds: 61),
        Board(label: "A4", path: "1-1.4", imei: "860000000000045", status: .pass, flashSeconds: 33.1, qaSeconds: 38),
    ]

    /// Writes the batch; returns the run IDs in order. The last run is left `running` (a station
    /// that died), on station "st-1".
    @discardableResult
    static func write(to store: any ResultsStore) async throws -> [String] {
        try await store.ensureBatch(batch)
        try await store.ensureBatch(batch)   // idempotent
        var ids: [String] = []
        for (i, b) in boards.enumerated() {
            let start = t0.addingTimeInterval(Double(i) * 20)
            let id = "run-\(i + 1)"
            ids.append(id)
            try await store.startRun(RunStart(runID: id, batch: batch.name, stationID: i % 2 == 0 ? "st-1" : "st-2",
                                              slotPath: b.path, slotLabel: b.label, firmwareSHA256: "f00d",
                                              scriptSHA256: "5c21", startedAt: start))
            let flashEnd = start.addingTimeInterval(b.flashSeconds)
            try await store.recordPhase(runID: id, PhaseRecord(name: "flash_full", startedAt: start,
                                                                 endedAt: flashEnd, outcome: "ok"))
            let qaEnd = flashEnd.addingTimeInterval(b.qaSeconds)
            try await store.recordPhase(runID: id, PhaseRecord(
                name: "qa", startedAt: flashEnd, endedAt: qaEnd, outcome: b.status == .pass ? "ok" : "fail",
                detail: b.status == .pass ? nil : "download, \"content\" mismatch"))
            try await store.recordCheck(runID: id, CheckRecord(name: "get", passed: true, code: 200, durationMs: 812))
            try await store.recordCheck(runID: id, CheckRecord(
                name: "download", passed: b.status == .pass, code: 200, durationMs: 2300,
                failureClass: b.status == .pass ? nil : .contentMismatch,
                detail: b.status == .pass ? nil : "sha256 differs"))
            try await store.recordEvent(EventRecord(runID: id, at: qaEnd, kind: "verdict",
                                                    payload: "{\"status\":\"\(b.status.rawValue)\"}"))
            try await store.finishRun(RunFinish(
                runID: id, status: b.status, failureClass: b.status == .pass ? nil : .contentMismatch,
                failurePhase: b.status == .pass ? nil : "qa", detail: b.status == .pass ? nil : "download: sha256 differs",
                imei: b.imei, iccid: "8986" + b.imei.suffix(4), finishedAt: qaEnd))
        }
        let stale = t0.addingTimeInterval(200)
        try await store.startRun(RunStart(runID: "run-5", batch: batch.name, stationID: "st-1", slotPath: "1-1.5",
                                          slotLabel: "A5", startedAt: stale))
        try await store.recordPhase(runID: "run-5", PhaseRecord(name: "flash_full", startedAt: stale,
                                                                  endedAt: stale.addingTimeInterval(12), outcome: "ok"))
        ids.append("run-5")
        return ids
    }
}
