import Foundation
@testable import Records
import TestSupport
import Testing

/// `provision pool import/status`, `--pool` and `--board-data` as users run them: exit codes,
/// one-line refusals naming file and line, and a station killed mid-batch that loses and doubles
/// no row.
@Suite(.serialized) struct PoolCLITests {
    static func write(_ text: String, _ name: String, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func keys(_ count: Int) -> String {
        "id,device_key,cert\n" + (1...count).map { "k\($0),secret-\($0),\"line1\nline2, with comma\"\n" }.joined()
    }

    @Test func importStatusAndRefusals() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = "sqlite:" + folder.appendingPathComponent("r.sqlite").path
        let file = try Self.write(Self.keys(3), "keys.csv", in: folder)

        let first = try await ProvisionBinary.run(["pool", "import", file, "--db", db])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("pool keys: 3 row(s) imported"), "\(first.stdout)")
        let again = try await ProvisionBinary.run(["pool", "import", file, "--name", "keys", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("0 row(s) imported from \(file), 3 already there (skipped)"), "\(again.stdout)")

        let changed = try Self.write("id,device_key,cert\nk4,s4,c\nk2,other,c\n", "changed.csv", in: folder)
        let refused = try await ProvisionBinary.run(["pool", "import", changed, "--name", "keys", "--db", db])
        #expect(refused.status == 2)
        #expect(refused.stderr == "provision: \(changed):3: pool keys already holds id \"k2\" with other values\n")

        let broken = try Self.write("id,key\nk1,\"never closed\n", "broken.csv", in: folder)
        let bad = try await ProvisionBinary.run(["pool", "import", broken, "--db", db])
        #expect(bad.status == 2)
        #expect(bad.stderr == "provision: \(broken):2: a quoted field is never closed\n")

        let status = try await ProvisionBinary.run(["pool", "status", "--db", db])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout == "pool keys: 3 available, 0 claimed, 0 kept (3 rows)\n")
        let missing = try await ProvisionBinary.run(["pool", "status", "--db", "sqlite:" + folder.appendingPathComponent("none.sqlite").path])
        #expect(missing.status == 2)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("none.sqlite").path))
    }

    @Test func boardDataWithAKeyTwiceIsRefusedBeforeAnyBoard() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try Self.write("imei,client_id\n861,a\n862,b\n861,c\n", "data.csv", in: folder)
        let db = folder.appendingPathComponent("r.sqlite").path
        let result = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--db", "sqlite:" + db,
                                              "--board-data", data])
        #expect(result.status == 2)
        #expect(result.stderr == "provision: \(data):4: imei \"861\" already on line 2\n")
        #expect(!FileManager.default.fileExists(atPath: db), "nothing recorded")
        let unknown = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--db", "sqlite:" + db,
                                               "--pool-name", "nokeys"])
        #expect(unknown.status == 2, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("no pool nokeys (import its rows"), "\(unknown.stderr)")
        let both = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--db", "sqlite:" + db,
                                            "--board-data", data, "--pool-name", "keys"])
        #expect(both.status == 2)
    }

    @Test func killNineMidBatchThenRestartLosesAndDoublesNoRow() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine(app: "log.info('app', 'up')\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("results.sqlite").path
        let file = try Self.write(Self.keys(30), "keys.csv", in: folder)
        let station = try RunningChild(ProvisionBinary.url.path, [
            "--soc", soc, app, "--simulate", "3", "--count", "500", "--db", "sqlite:" + db, "--batch", "pool",
            "--station-id", "st-pool", "--pool", file, "--sim-timing", "realistic",
        ], folder: folder.path)
        _ = try await ProvisionBinary.waitForRuns(db) { runs in
            runs.filter { $0.status == .pass }.count >= 2 && runs.contains { $0.status == .running }
        }
        station.send(SIGKILL)
        #expect(station.wait() == 128 + SIGKILL)
        var store = try await StoreURL.open(db)
        let held = try await store.poolStatus(pool: "keys")
        await store.close()
        #expect(held.claimed >= 1, "the kill left rows claimed by runs in flight: \(held)")

        // The restart draws from the pool already in the store and returns what the dead start held.
        let restart = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "1", "--count", "1", "--db", "sqlite:" + db, "--batch", "pool",
            "--station-id", "st-pool", "--pool", file,
        ])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(restart.stdout.contains("0 row(s) imported from \(file), 30 already there (skipped)"), "\(restart.stdout)")
        store = try await StoreURL.open(db)
        let runs = try await store.runs(RunQuery())
        let status = try await store.poolStatus(pool: "keys")
        let keptRows = try await store.database.fetch(
            SQLStatement("SELECT row_id FROM pool_rows WHERE state = 'kept' ORDER BY row_id"), columns: [.text])
        await store.close()
        let passedRows = runs.filter { $0.status == .pass }.compactMap { $0.boardData?.row }
        #expect(passedRows.count == runs.filter { $0.status == .pass }.count, "every passed run names its row")
        #expect(Set(passedRows).count == passedRows.count, "no row kept by two boards: \(passedRows)")
        #expect(keptRows.compactMap { $0.first?.text } == passedRows.sorted(), "kept rows are exactly the passed boards'")
        #expect(status.claimed == 0, "no row left claimed: \(status)")
        #expect(status.total == 30 && status.available == 30 - passedRows.count, "no row lost: \(status)")
        print("pool kill -9: \(runs.count) runs, \(passedRows.count) passed with distinct rows, "
              + "\(held.claimed) held at the kill returned; \(status)")
    }
}
