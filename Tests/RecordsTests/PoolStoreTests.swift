import Foundation
@testable import Records
import Testing
import TestSupport
import Vocabulary

/// Pools of per-board rows (schema v8) on SQLite and on a real PostgreSQL server: one row per
/// claim, never one row to two claims (also from two stores on one database at once), rows back
/// on a failed, interrupted or crashed run, kept on a pass.
@Suite(.serialized) struct PoolStoreTests {
    enum Backend: String, CaseIterable { case sqlite, postgres }

    /// Runs `body` with the URL of a fresh store of `backend` (skipped, with a note, when
    /// PostgreSQL is not installed).
    static func withURL(_ backend: Backend, _ body: (String) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pool-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try await body("sqlite:" + folder.appendingPathComponent("r.sqlite").path)
        case .postgres:
            try await PostgresServer.withServerURL("PoolStoreTests", body)
        }
    }

    static func withStore(_ backend: Backend, _ body: (SQLResultsStore) async throws -> Void) async throws {
        try await withURL(backend) { url in
            let store = try await StoreURL.open(url)
            do { try await body(store) } catch { await store.close(); throw error }
            await store.close()
        }
    }

    /// A pool file of `count` rows: `id,device_key,client_id`.
    static func table(_ count: Int, file: String = "keys.csv", from first: Int = 1) throws -> CSVTable {
        var text = "id,device_key,client_id\n"
        for i in first..<(first + count) { text += "row\(i),key-\(i)-secret,client-\(i)\n" }
        return try CSVTable(bytes: Array(text.utf8), file: file)
    }

    @Test(arguments: Backend.allCases)
    func tenRowsGiveTenDistinctClaimsThenNone(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store in
            let result = try await store.importPoolRows(try Self.table(10), pool: "keys")
            #expect(result == PoolImportResult(added: 10, skipped: []))
            var got: [PoolRow?] = []
            for i in 1...12 { got.append(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: "run-\(i)")) }
            let rows = got.compactMap { $0 }
            #expect(rows.count == 10)
            #expect(Set(rows.map(\.id)).count == 10, "no row twice: \(rows.map(\.id))")
            #expect(got.suffix(2).allSatisfy { $0 == nil }, "the 11th and 12th claims find the pool empty")
            // Oldest import first, with the row's own values.
            #expect(rows.first == PoolRow(pool: "keys", id: "row1",
                                          values: ["id": "row1", "device_key": "key-1-secret", "client_id": "client-1"]))
            #expect(try await store.poolStatus(pool: "keys") == PoolStatus(pool: "keys", available: 0, claimed: 10, kept: 0))
            #expect(try await store.claimPoolRow(pool: "other", stationID: "st-1", runID: "x") == nil, "an unknown pool is empty")
        }
    }

    @Test(arguments: Backend.allCases)
    func aReleasedRowIsHandedOutAgainAndAKeptOneNever(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store in
            _ = try await store.importPoolRows(try Self.table(2), pool: "keys")
            let a = try #require(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: "run-a"))
            let b = try #require(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: "run-b"))
            #expect(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: "run-c") == nil)
            #expect(try await store.releasePoolRow(runID: "run-a"))
            #expect(try await !store.releasePoolRow(runID: "run-a"), "a settled row is not settled twice")
            #expect(try await store.keepPoolRow(runID: "run-b"))
            #expect(try await store.poolStatus(pool: "keys") == PoolStatus(pool: "keys", available: 1, claimed: 0, kept: 1))
            let again = try #require(try await store.claimPoolRow(pool: "keys", stationID: "st-2", runID: "run-d"))
            #expect(again.id == a.id, "the released row goes to the next board")
            #expect(again.id != b.id)
            #expect(try await store.claimPoolRow(pool: "keys", stationID: "st-2", runID: "run-e") == nil,
                    "the kept row is never handed out again")
        }
    }

    @Test(arguments: Backend.allCases)
    func aRunsVerdictSettlesItsRowAndTheRecordNamesOnlyTheRow(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store in
            _ = try await store.importPoolRows(try Self.table(3), pool: "keys")
            try await store.ensureBatch(BatchInfo(name: "b"))
            for (run, status) in [("pass-1", RunStatus.pass), ("fail-1", .fail), ("stop-1", .interrupted)] {
                let row = try #require(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: run))
                try await store.startRun(RunStart(runID: run, batch: "b", stationID: "st-1", slotPath: "1-1",
                                                  slotLabel: "s1", boardData: .pool("keys", row: row.id)))
                try await store.finishRun(RunFinish(runID: run, status: status, imei: "86000000000000\(run.count)"))
            }
            #expect(try await store.poolStatus(pool: "keys") == PoolStatus(pool: "keys", available: 2, claimed: 0, kept: 1))
            let runs = try await store.runs(RunQuery(batch: "b"))
            // The failed run's row went back and was the next claim's (oldest first); the
            // interrupted run gave it back again.
            #expect(runs.map(\.boardData) == [.pool("keys", row: "row1"), .pool("keys", row: "row2"), .pool("keys", row: "row2")])
            for format in ReportFormat.allCases {
                let text = try format.render(title: "b", runs: runs)
                #expect(text.contains("row1"), "\(format) names the row")
                #expect(!text.contains("secret"), "\(format) never carries a row's values")
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aRestartedStationReturnsTheRowsItsCrashedRunsHeld(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store in
            _ = try await store.importPoolRows(try Self.table(5), pool: "keys")
            try await store.ensureBatch(BatchInfo(name: "b"))
            // st-1 dies with: a run in flight, a claim whose run was never recorded, and a run
            // whose pass was recorded but whose row was not yet kept. st-2's run is alive.
            let inFlight = try #require(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: "r-flight"))
            try await store.startRun(RunStart(runID: "r-flight", batch: "b", stationID: "st-1", slotPath: "1-1", slotLabel: "s1",
                                              boardData: .pool("keys", row: inFlight.id)))
            _ = try #require(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: "r-unrecorded"))
            let passed = try #require(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: "r-passed"))
            try await store.startRun(RunStart(runID: "r-passed", batch: "b", stationID: "st-1", slotPath: "1-2", slotLabel: "s2"))
            try await store.database.transaction([SQLStatement("UPDATE runs SET status = 'pass' WHERE id = 'r-passed'")])
            let other = try #require(try await store.claimPoolRow(pool: "keys", stationID: "st-2", runID: "r-other"))
            #expect(try await store.poolStatus(pool: "keys") == PoolStatus(pool: "keys", available: 1, claimed: 4, kept: 0))

            #expect(try await store.markInterruptedRuns(stationID: "st-1", at: Date()) == 1)
            #expect(try await store.poolStatus(pool: "keys") == PoolStatus(pool: "keys", available: 3, claimed: 1, kept: 1))
            // The passed run keeps its row; st-2's claim is untouched; the rest go out again.
            #expect(try await store.releasePoolRow(runID: "r-other"))
            #expect(try await store.claimPoolRow(pool: "keys", stationID: "st-1", runID: "x")?.id != passed.id)
            _ = other
        }
    }

    @Test(arguments: Backend.allCases)
    func twoStoresClaimingAtOnceNeverGetOneRowTwice(_ backend: Backend) async throws {
        try await Self.withURL(backend) { url in
            let a = try await StoreURL.open(url)
            let b = try await StoreURL.open(url)
            _ = try await a.importPoolRows(try Self.table(50), pool: "keys")
            // Two stations, 30 claims each, all in flight together.
            let claims = try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 0..<30 {
                    group.addTask { try await a.claimPoolRow(pool: "keys", stationID: "st-a", runID: "a-\(i)")?.id }
                    group.addTask { try await b.claimPoolRow(pool: "keys", stationID: "st-b", runID: "b-\(i)")?.id }
                }
                var out: [String?] = []
                for try await id in group { out.append(id) }
                return out
            }
            let ids = claims.compactMap { $0 }
            #expect(ids.count == 50, "every row handed out: \(ids.count)")
            #expect(Set(ids).count == ids.count, "no row twice")
            #expect(claims.filter { $0 == nil }.count == 10)
            let status = try await b.poolStatus(pool: "keys")
            #expect(status == PoolStatus(pool: "keys", available: 0, claimed: 50, kept: 0))
            let rows = try await a.database.fetch(SQLStatement(
                "SELECT claimed_station, COUNT(*) FROM pool_rows GROUP BY claimed_station ORDER BY claimed_station"),
                columns: [.text, .int])
            #expect(rows.reduce(0) { $0 + Int($1[1].int ?? 0) } == 50)
            print("pool claims (\(backend.rawValue)): 60 concurrent from 2 stores → \(Set(ids).count) distinct rows, "
                  + rows.map { "\($0[0].text ?? "-") \($0[1].int ?? 0)" }.joined(separator: ", "))
            await a.close()
            await b.close()
        }
    }

    @Test(arguments: Backend.allCases)
    func reImportingSkipsRowsAlreadyThereAndRefusesChangedOnes(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store in
            #expect(try await store.importPoolRows(try Self.table(3), pool: "keys").added == 3)
            // The same file again: nothing doubled.
            let again = try await store.importPoolRows(try Self.table(3), pool: "keys")
            #expect(again == PoolImportResult(added: 0, skipped: ["row1", "row2", "row3"]))
            // Overlapping file: the new rows are added, the known ones skipped.
            let more = try await store.importPoolRows(try Self.table(3, from: 3), pool: "keys")
            #expect(more == PoolImportResult(added: 2, skipped: ["row3"]))
            // A known id with other values: refused, naming file and line; nothing of it written.
            let changed = try CSVTable(bytes: Array("id,device_key,client_id\nrow9,k9,c9\nrow2,other,client-2\n".utf8),
                                       file: "changed.csv")
            let error = await #expect(throws: CSVError.self) {
                try await store.importPoolRows(changed, pool: "keys")
            }
            #expect(error?.description.hasPrefix("changed.csv:3: ") == true, "\(String(describing: error))")
            #expect(try await store.poolStatus(pool: "keys").available == 5, "row9 was not written either")
            // The same ids in another pool are other rows.
            #expect(try await store.importPoolRows(try Self.table(3), pool: "certs").added == 3)
            #expect(try await store.poolStatus() == [PoolStatus(pool: "certs", available: 3), PoolStatus(pool: "keys", available: 5)])
        }
    }

    @Test(arguments: Backend.allCases)
    func theNewestPassedRunOfAnIMEIIsFound(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store in
            try await store.ensureBatch(BatchInfo(name: "b"))
            let imei = "867530012345678"
            #expect(try await store.passedRun(imei: imei) == nil)
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            for (i, status) in [RunStatus.pass, .pass, .fail].enumerated() {
                try await store.startRun(RunStart(runID: "r\(i)", batch: "b", stationID: "st", slotPath: "1-1", slotLabel: "s1",
                                                  startedAt: t0.addingTimeInterval(Double(i) * 60)))
                try await store.finishRun(RunFinish(runID: "r\(i)", status: status, imei: imei,
                                                    finishedAt: t0.addingTimeInterval(Double(i) * 60 + 30)))
            }
            #expect(try await store.passedRun(imei: imei) == "r1", "the newest pass, not the later failure")
            #expect(try await store.passedRun(imei: "867530012345679") == nil)
            // A rework run links to it and keeps its gates.
            try await store.startRun(RunStart(runID: "r3", batch: "b", stationID: "st", slotPath: "1-1", slotLabel: "s1"))
            try await store.recordGate(runID: "r3", GateResult(name: "imei_luhn", passed: true))
            try await store.recordGate(runID: "r3", GateResult(name: "duplicate_imei", passed: false, detail: "passed before as r1"))
            try await store.recordGate(runID: "r3", GateResult(name: "duplicate_imei", passed: true, detail: "rework of r1"))
            try await store.recordRework(runID: "r3", of: "r1")
            try await store.recordBoardData(runID: "r3", .boardData("data.csv", key: imei))
            let r3 = try #require(try await store.runs(RunQuery(runID: "r3")).first)
            #expect(r3.boardData == BoardDataRef(source: "board-data:data.csv", row: imei))
            #expect(r3.gates == [GateResult(name: "duplicate_imei", passed: true, detail: "rework of r1"),
                                 GateResult(name: "imei_luhn", passed: true)])
            #expect(r3.reworkOf == "r1")
            let csv = try ReportFormat.csv.render(title: "b", runs: [r3])
            #expect(csv.contains("duplicate_imei=pass;imei_luhn=pass"), "\(csv)")
            #expect(csv.contains(",r1"))
            let junit = try ReportFormat.junit.render(title: "b", runs: [r3])
            #expect(junit.contains("<property name=\"gate_duplicate_imei\" value=\"pass: rework of r1\"/>"), "\(junit)")
            #expect(junit.contains("<property name=\"rework_of\" value=\"r1\"/>"))
            let json = try ReportFormat.json.render(title: "b", runs: [r3])
            #expect(json.contains("\"reworkOf\" : \"r1\""), "\(json)")
        }
    }

    @Test func theHTMLReportListsDuplicatesLabelMismatchesAndReworks() throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func run(_ id: String, _ status: RunStatus, _ failure: FailureClass?, rework: String? = nil) -> RunRecord {
            var r = RunRecord(runID: id, batch: "b", stationID: "st", slotPath: "1-1", slotLabel: "slot-\(id)",
                              imei: "86753001234567\(id.count)", iccid: nil, firmwareSHA256: nil, scriptSHA256: nil,
                              startedAt: t0, finishedAt: t0.addingTimeInterval(10), status: status, failureClass: failure,
                              failurePhase: nil, detail: failure.map { "detail of \($0.rawValue)" }, flashNAKs: 0,
                              flashRetries: 0, phases: [], checks: [], verdict: nil)
            r.reworkOf = rework
            return r
        }
        let plain = try ReportFormat.html.render(title: "b", runs: [run("ok", .pass, nil)])
        #expect(!plain.contains("<h2>Identity</h2>"), "no section without findings")
        let html = try ReportFormat.html.render(title: "b", runs: [
            run("ok", .pass, nil), run("dup", .fail, .duplicateIMEI), run("lbl", .fail, .labelMismatch),
            run("again", .pass, nil, rework: "first-run-id"),
        ])
        #expect(html.contains("Duplicate IMEIs (1)") && html.contains("slot-dup"))
        #expect(html.contains("Label mismatches (1)") && html.contains("detail of label_mismatch"))
        #expect(html.contains("first-run-id") && html.contains("Reworked boards"))
    }

    @Test func aVersionSevenStoreReadsWithoutBoardDataOrGates() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pool-v7-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("r.sqlite").path
        let old = try SQLiteDatabase(path: path)
        try await old.migrate(Schema.migrations.filter { $0.version <= 7 })
        try await old.transaction([
            SQLStatement("INSERT INTO batches (name, created_at) VALUES ('b', 0)"),
            SQLStatement("""
                INSERT INTO runs (id, batch, station_id, slot_path, slot_label, started_at, status)
                VALUES ('r1', 'b', 'st', '1-1', 's1', 0, 'pass')
                """),
        ])
        await old.close()
        let store = try await StoreURL.openForReading(path)
        let runs = try await store.runs(RunQuery(batch: "b"))
        await store.close()
        #expect(runs.count == 1)
        #expect(runs.first?.boardData == nil && runs.first?.gates == [] && runs.first?.reworkOf == nil)
    }
}
