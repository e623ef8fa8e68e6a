import Foundation
@testable import Records
import Testing
import Vocabulary

@Suite struct SQLiteStoreTests {
    private func freshPath() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("results.sqlite").path
    }

    @Test func migrationIsVersionedAndIdempotent() async throws {
        let path = try freshPath()
        let store = try await StoreURL.open("sqlite:\(path)")
        #expect(try await store.schemaVersion() == Schema.latestVersion)
        try await store.migrate()
        #expect(try await store.schemaVersion() == Schema.latestVersion)
        await store.close()
        let again = try await StoreURL.open(path)
        #expect(try await again.schemaVersion() == Schema.latestVersion)
        await again.close()
    }

    @Test func aVersionOneStoreIsUpgradedWithItsRecordsKept() async throws {
        let path = try freshPath()
        let old = try SQLiteDatabase(path: path)
        try await old.migrate(Array(Schema.migrations.prefix { $0.version == 1 }))
        try await old.transaction([SQLStatement("INSERT INTO events (run_id, at, kind, payload) VALUES ('r1', 5, 'verdict', '{}')")])
        await old.close()

        let store = try await StoreURL.open("sqlite:\(path)")
        #expect(try await store.schemaVersion() == Schema.latestVersion)
        try await store.recordEvent(EventRecord(runID: "r1", at: Date(timeIntervalSince1970: 0.005), kind: "check",
                                                payload: "{}", seq: 1))
        let events = try await store.events(runID: "r1")
        #expect(events.map(\.kind) == ["verdict", "check"], "the v1 event is kept, with seq 0")
        await store.close()
    }

    /// A store at schema v2 (before the flash counts) holding one finished run, `old`, in batch `b`.
    private func versionTwoStore() async throws -> String {
        let path = try freshPath()
        let old = try SQLiteDatabase(path: path)
        try await old.migrate(Array(Schema.migrations.prefix { $0.version <= 2 }))
        try await old.transaction([
            SQLStatement("INSERT INTO batches (name, created_at) VALUES ('b', 0)"),
            SQLStatement("""
                INSERT INTO runs (id, batch, station_id, slot_path, slot_label, started_at, finished_at, status)
                VALUES ('old', 'b', 'st', '1-1', 'A1', 0, 5, 'pass')
                """),
        ])
        await old.close()
        return path
    }

    /// v3 keeps each run's flash NAKs and retries; a v2 store's runs are kept and read 0.
    @Test func aVersionTwoStoreGainsFlashCountsWithItsRunsKept() async throws {
        let path = try await versionTwoStore()

        let store = try await StoreURL.open("sqlite:\(path)")
        #expect(try await store.schemaVersion() == Schema.latestVersion)
        try await store.startRun(RunStart(runID: "new", batch: "b", stationID: "st", slotPath: "1-2", slotLabel: "A2"))
        try await store.finishRun(RunFinish(runID: "new", status: .pass, flashNAKs: 2, flashRetries: 3))
        let runs = try await store.runs(RunQuery(batch: "b"))
        #expect(runs.map(\.runID) == ["old", "new"])
        #expect(runs.map(\.flashNAKs) == [0, 2])
        #expect(runs.map(\.flashRetries) == [0, 3])
        await store.close()
    }

    @Test func aReaderOfAnOlderStoreSeesItsRunsAndLeavesTheFileAsItIs() async throws {
        let path = try await versionTwoStore()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let reader = try await StoreURL.openForReading("sqlite:\(path)")
        let runs = try await reader.runs(RunQuery(batch: "b"))
        #expect(runs.map(\.runID) == ["old"])
        #expect(runs.map(\.flashNAKs) == [0])
        await reader.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let wal = path + "-wal"
        let walBytes = FileManager.default.fileExists(atPath: wal) ? try Data(contentsOf: URL(fileURLWithPath: wal)).count : 0
        #expect(walBytes == 0)
    }

    @Test func everyRecordReadsBackAsWritten() async throws {
        let store = try await StoreURL.open("sqlite:\(try freshPath())")
        try await SampleBatch.write(to: store)
        let runs = try await store.runs(RunQuery(batch: SampleBatch.batch.name))
        #expect(runs.map(\.runID) == ["run-1", "run-2", "run-3", "run-4", "run-5"])
        #expect(runs.map(\.status) == [.pass, .pass, .fail, .pass, .running])
        let failed = runs[2]
        #expect(failed.failureClass == .contentMismatch)
        #expect(failed.failurePhase == "qa")
        #expect(failed.imei == "860000000000037")
        #expect(failed.iccid == "89860037")
        #expect(failed.slotPath == "1-1.3")
        #expect(failed.phases.map(\.name) == ["flash_full", "qa"])
        #expect(failed.phases[1].detail == "download, \"content\" mismatch")
        #expect(abs(failed.phases[0].duration - 30.2) < 0.001)
        #expect(failed.checks.map(\.name) == ["download", "get"])
        #expect(failed.checks[0].passed == false)
        #expect(failed.checks[0].failureClass == .contentMismatch)
        #expect(failed.checks[1].code == 200)
        #expect(failed.startedAt == SampleBatch.t0.addingTimeInterval(40))
        await store.close()
    }

    @Test func queriesFilterByBatchAndTime() async throws {
        let store = try await StoreURL.open(try freshPath())
        try await SampleBatch.write(to: store)
        #expect(try await store.runs(RunQuery(batch: "other")).isEmpty)
        let late = try await store.runs(RunQuery(since: SampleBatch.t0.addingTimeInterval(45)))
        #expect(late.map(\.runID) == ["run-4", "run-5"])
        #expect(try await store.runs(RunQuery()).count == 5)
        let one = try await store.runs(RunQuery(runID: "run-3"))
        #expect(one.map(\.runID) == ["run-3"])
        #expect(one.first?.phases.isEmpty == false)
        await store.close()
    }

    @Test func interruptedRunsAreMarkedForTheirOwnStationOnly() async throws {
        let store = try await StoreURL.open(try freshPath())
        try await SampleBatch.write(to: store)
        try await store.startRun(RunStart(runID: "other-station", batch: SampleBatch.batch.name, stationID: "st-2",
                                          slotPath: "2-1", slotLabel: "B1"))
        #expect(try await store.markInterruptedRuns(stationID: "st-1", at: Date()) == 1)
        #expect(try await store.markInterruptedRuns(stationID: "st-1", at: Date()) == 0)
        let runs = try await store.runs(RunQuery())
        #expect(runs.first { $0.runID == "run-5" }?.status == .interrupted)
        #expect(runs.first { $0.runID == "run-5" }?.failureClass == .interrupted)
        #expect(runs.first { $0.runID == "other-station" }?.status == .running)
        #expect(runs.first { $0.runID == "run-1" }?.status == .pass)
        await store.close()
    }

    @Test func aDecisionIsVisibleToAnotherConnectionBeforeClose() async throws {
        let path = try freshPath()
        let writer = try await StoreURL.open(path)
        try await SampleBatch.write(to: writer)
        // No close: as if the station died right after the call returned.
        let reader = try await StoreURL.open(path)
        #expect(try await reader.runs(RunQuery()).filter { $0.status == .pass }.count == 3)
        await reader.close()
        await writer.close()
    }

    /// A store edited by hand or by another tool may hold a REAL (or text) where an integer
    /// belongs; converting 1e300 to Int64 used to trap and crash `provision report`.
    @Test(arguments: [
        ("UPDATE runs SET started_at = 1.5 WHERE id = 'run-3'", "column started_at holds the REAL 1.5"),
        ("UPDATE runs SET finished_at = 1e300 WHERE id = 'run-2'", "column finished_at holds the REAL 1e+300"),
        ("UPDATE checks SET code = 200.25", "column code holds the REAL 200.25"),
        ("UPDATE checks SET duration_ms = 'slow'", "column duration_ms holds the text \"slow\""),
    ])
    func aValueThatIsNotAWholeNumberInAnIntegerColumnIsRefusedNamingIt(edit: (String, String)) async throws {
        let path = try freshPath()
        let store = try await StoreURL.open("sqlite:\(path)")
        try await SampleBatch.write(to: store)
        await store.close()
        let raw = try SQLiteDatabase(path: path)
        try await raw.transaction([SQLStatement(edit.0)])
        await raw.close()

        let reader = try await StoreURL.open("sqlite:\(path)")
        let e = try await #require(throws: RecordsError.self) { try await reader.runs(RunQuery()) }
        await reader.close()
        #expect(e.store == "sqlite:\(path)")
        #expect(e.reason.hasPrefix(edit.1), "\(e.reason)")
        #expect(e.isInputError)
    }

    @Test func aWholeREALInAnIntegerColumnIsRead() async throws {
        let db = try SQLiteDatabase(path: try freshPath())
        let rows = try await db.fetch(SQLStatement("SELECT 2.0, 1790000000000.0"), columns: [.int, .int])
        #expect(rows == [[.int(2), .int(1_790_000_000_000)]])
        await db.close()
    }

    @Test func runsOfAnUnknownBatchAreRefused() async throws {
        let store = try await StoreURL.open(try freshPath())
        await #expect(throws: RecordsError.self) {
            try await store.startRun(RunStart(batch: "never-created", stationID: "st", slotPath: "1-1", slotLabel: "x"))
        }
        await store.close()
    }

    @Test func badStoreURLsAreRefused() async throws {
        await #expect(throws: RecordsError.self) { try await StoreURL.open("sqlite:/nonexistent-dir/x.sqlite") }
        await #expect(throws: RecordsError.self) { try await StoreURL.open("mysql://x") }
        await #expect(throws: RecordsError.self) { try await StoreURL.open("postgres://") }
    }
}
