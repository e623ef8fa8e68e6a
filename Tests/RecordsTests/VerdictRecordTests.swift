import Foundation
@testable import Records
import Testing
import TestSupport
import Vocabulary

/// Schema v6: the QA verdict as received (signed report, signature, key, per-check codes, CSQ)
/// and each flash attempt's NAKs and retries are kept and read back, on SQLite and PostgreSQL,
/// and a v5 store gains them with its records kept.
@Suite struct VerdictRecordTests {
    static let verdict = VerdictRecord(
        sessionID: "5e55", reportBase64: Data(#"{"sid":"5e55","csq":21}"#.utf8).base64EncodedString(),
        signature: "A1B2", key: "00ff",
        checkCodes: [.init(check: "get", code: 200, failureClass: nil),
                     .init(check: "download", code: -4, failureClass: .httpLibraryError(code: -4))],
        imei: "860000000000011", iccid: "89860000000000000011", csq: 21)

    private func freshPath() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("results.sqlite").path
    }

    /// One run with a full flash that NAKed twice (once per attempt), a clean script flash, and
    /// the verdict; read back whole.
    static func writeAndReadBack(_ store: any ResultsStore) async throws {
        let t = Date(timeIntervalSince1970: 1_790_000_000)
        try await store.ensureBatch(BatchInfo(name: "b", createdAt: t))
        try await store.startRun(RunStart(runID: "r1", batch: "b", stationID: "st", slotPath: "1-1", slotLabel: "A1",
                                          startedAt: t))
        try await store.recordPhase(runID: "r1", PhaseRecord(name: StationStep.flashFull.rawValue, startedAt: t, endedAt: t,
                                                             outcome: "fail", flashNAKs: 1, flashRetries: 3))
        try await store.recordPhase(runID: "r1", PhaseRecord(name: StationStep.flashFull.rawValue, startedAt: t, endedAt: t,
                                                             outcome: "ok", flashNAKs: 1, flashRetries: 0))
        try await store.recordVerdict(runID: "r1", verdict)
        try await store.recordPhase(runID: "r1", PhaseRecord(name: StationStep.flashScript.rawValue, startedAt: t, endedAt: t,
                                                             outcome: "ok"))
        try await store.finishRun(RunFinish(runID: "r1", status: .pass, imei: verdict.imei, iccid: verdict.iccid,
                                            finishedAt: t, flashNAKs: 2, flashRetries: 3))
        let run = try #require(try await store.runs(RunQuery(runID: "r1")).first)
        #expect(run.verdict == verdict)
        #expect(run.phases.map(\.flashNAKs) == [1, 1, 0])
        #expect(run.phases.map(\.flashRetries) == [3, 0, 0])
        let full = try #require(run.flashRepeats(.flashFull))
        #expect(full.naks == 2 && full.retries == 3)
        let script = try #require(run.flashRepeats(.flashScript))
        #expect(script.naks == 0 && script.retries == 0)
        #expect(run.flashRepeatsBySteps)
    }

    @Test func theVerdictAndPerStepFlashCountsReadBackOnSQLite() async throws {
        let store = try await StoreURL.open("sqlite:\(try freshPath())")
        try await Self.writeAndReadBack(store)
        await store.close()
    }

    @Test func theVerdictAndPerStepFlashCountsReadBackOnPostgreSQL() async throws {
        try await PostgresServer.withStore("VerdictRecordTests") { store in
            #expect(try await store.schemaVersion() == Schema.latestVersion)
            try await Self.writeAndReadBack(store)
        }
    }

    @Test func aRetriedQAStepKeepsTheLatestVerdict() async throws {
        let store = try await StoreURL.open("sqlite:\(try freshPath())")
        try await store.ensureBatch(BatchInfo(name: "b"))
        try await store.startRun(RunStart(runID: "r1", batch: "b", stationID: "st", slotPath: "1-1", slotLabel: "A1"))
        try await store.recordVerdict(runID: "r1", VerdictRecord(sessionID: "first"))
        try await store.recordVerdict(runID: "r1", Self.verdict)
        #expect(try await store.runs(RunQuery()).first?.verdict == Self.verdict)
        await store.close()
    }

    @Test func unreadableCheckCodesAreRefusedNamingTheRun() async throws {
        let path = try freshPath()
        let store = try await StoreURL.open("sqlite:\(path)")
        try await store.ensureBatch(BatchInfo(name: "b"))
        try await store.startRun(RunStart(runID: "r1", batch: "b", stationID: "st", slotPath: "1-1", slotLabel: "A1"))
        try await store.recordVerdict(runID: "r1", Self.verdict)
        await store.close()
        let raw = try SQLiteDatabase(path: path)
        try await raw.transaction([SQLStatement("UPDATE runs SET qa_check_codes = '{not json'")])
        await raw.close()
        let reader = try await StoreURL.open("sqlite:\(path)")
        let error = await #expect(throws: RecordsError.self) { try await reader.runs(RunQuery()) }
        #expect(error?.reason.contains("run r1") == true)
        #expect(error?.isInputError == true)
        await reader.close()
    }

    /// A store at schema v5 (before the verdict columns) holding a finished run, `old`, whose
    /// flashes NAKed 4 times in all, in batch `b`.
    private func versionFiveStore() async throws -> String {
        let path = try freshPath()
        let old = try SQLiteDatabase(path: path)
        try await old.migrate(Array(Schema.migrations.prefix { $0.version <= 5 }))
        try await old.transaction([
            SQLStatement("INSERT INTO batches (name, created_at) VALUES ('b', 0)"),
            SQLStatement("""
                INSERT INTO runs (id, batch, station_id, slot_path, slot_label, imei, started_at, finished_at, status,
                                  flash_naks, flash_retries)
                VALUES ('old', 'b', 'st', '1-1', 'A1', '860000000000029', 0, 5, 'pass', 4, 1)
                """),
            SQLStatement("""
                INSERT INTO phases (run_id, seq, name, started_at, ended_at, outcome)
                VALUES ('old', 1, 'flash_full', 0, 3, 'ok')
                """),
        ])
        await old.close()
        return path
    }

    @Test func aVersionFiveStoreGainsTheVerdictColumnsWithItsRunsKept() async throws {
        let path = try await versionFiveStore()
        let store = try await StoreURL.open("sqlite:\(path)")
        #expect(try await store.schemaVersion() == Schema.latestVersion)
        #expect(Schema.migrations.contains { $0.version == 6 })
        try await store.startRun(RunStart(runID: "new", batch: "b", stationID: "st", slotPath: "1-2", slotLabel: "A2"))
        try await store.recordVerdict(runID: "new", Self.verdict)
        let runs = try await store.runs(RunQuery(batch: "b"))
        #expect(runs.map(\.runID) == ["old", "new"])
        let old = runs[0]
        #expect(old.verdict == nil)
        #expect(old.imei == "860000000000029")
        #expect((old.flashNAKs, old.flashRetries) == (4, 1))
        #expect(old.phases.map(\.flashNAKs) == [0])
        #expect(!old.flashRepeatsBySteps, "a v5 run kept only totals: its split is unknown, not 0")
        #expect(runs[1].verdict == Self.verdict)
        await store.close()
    }

    @Test func aReportOfAVersionFiveStoreReadsItWithoutChangingTheFile() async throws {
        let path = try await versionFiveStore()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try await StoreURL.openForReading("sqlite:\(path)")
        let runs = try await reader.runs(RunQuery(batch: "b"))
        await reader.close()
        #expect(runs.map(\.runID) == ["old"])
        #expect(runs[0].verdict == nil)
        for format in ReportFormat.allCases { _ = try format.render(title: "old", runs: runs) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}
