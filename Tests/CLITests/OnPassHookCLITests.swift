import Foundation
import Records
import Testing

/// `--on-pass CMD` (the hook's events are stored under the kind `on_pass_hook`) runs once per passed board with its record on stdin; a failing hook is
/// recorded against the run and never fails the board or the station.
@Suite struct OnPassHookCLITests {
    @Test func theHookGetsEachPassedBoardsRecordAndNoOther() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = folder.appendingPathComponent("labels")
        try FileManager.default.createDirectory(at: labels, withIntermediateDirectories: true)
        let db = folder.appendingPathComponent("results.sqlite").path
        let result = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "3", "--count", "3", "--sim-fault", "2=no-network",
            "--db", "sqlite:" + db, "--json",
            "--on-pass", "cat > '\(labels.path)'/\"$PROVISION_RUN_ID\".json",
        ])
        #expect(result.status == 1, "one board fails: \(result.stderr)")
        let store = try await StoreURL.open("sqlite:" + db)
        let runs = try await store.runs(RunQuery())
        let passed = runs.filter { $0.status == .pass }
        var hookEvents: [EventRecord] = []
        for run in runs { hookEvents += try await store.events(runID: run.runID).filter { $0.kind == "on_pass_hook" } }
        await store.close()
        #expect(passed.count == 2)
        let written = try FileManager.default.contentsOfDirectory(atPath: labels.path).sorted()
        #expect(written == passed.map { "\($0.runID).json" }.sorted())
        for run in passed {
            let data = try Data(contentsOf: labels.appendingPathComponent("\(run.runID).json"))
            let record = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(record["run_id"] as? String == run.runID)
            #expect(record["status"] as? String == "pass")
            #expect(record["imei"] as? String == run.imei)
            // The identity gates the shipped profile runs travel with the record.
            let gates = record["gates"] as? [[String: Any]] ?? []
            #expect(gates.contains { $0["name"] as? String == "imei_luhn" && $0["passed"] as? Bool == true }, "\(gates)")
            #expect(record.keys.contains("board_data_row"))
        }
        // Each pass's hook outcome is kept with its run, after the run's own events.
        #expect(hookEvents.count == 2)
        #expect(hookEvents.allSatisfy { $0.payload.contains("\"exitStatus\":0") })
    }

    @Test func aFailingOrHangingHookIsRecordedAndHoldsNothing() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("results.sqlite").path
        let result = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "2", "--count", "2", "--db", "sqlite:" + db,
            "--on-pass", "echo printer offline >&2; exit 3",
        ])
        #expect(result.status == 0, "the boards pass whatever the hook does: \(result.stderr)")
        let said = result.stdout + result.stderr
        #expect(said.contains("failed (exit 3): printer offline"), "\(said)")
        let store = try await StoreURL.open("sqlite:" + db)
        let runs = try await store.runs(RunQuery())
        var outcomes: [[String: Any]] = []
        for run in runs {
            for event in try await store.events(runID: run.runID) where event.kind == "on_pass_hook" {
                outcomes.append(try #require(try JSONSerialization.jsonObject(with: Data(event.payload.utf8)) as? [String: Any]))
            }
        }
        await store.close()
        #expect(runs.count == 2 && runs.allSatisfy { $0.status == .pass })
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy {
            $0["exitStatus"] as? Int == 3 && $0["timedOut"] as? Bool == false
                && ($0["output"] as? String ?? "").contains("printer offline")
        }, "\(outcomes)")
        let empty = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--on-pass", " "])
        #expect(empty.status == 2 && empty.stderr.contains("--on-pass is empty"), "\(empty.stderr)")
    }
}
