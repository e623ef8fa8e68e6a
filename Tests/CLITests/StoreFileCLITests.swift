import Foundation
import Records
import Testing

/// What the SQLite results store leaves on disk: a station's records in the `.sqlite` file itself
/// once it has stopped, and `report` that reads a file without changing it.
@Suite struct StoreFileCLITests {
    @Test func aCopyOfTheSQLiteFileAloneHoldsTheRecordsAfterANormalExit() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("results.sqlite")
        let station = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--count", "1",
                                               "--db", "sqlite:" + db.path])
        #expect(station.status == 0, "\(station.stderr)")
        // Only the main file, as a backup or an `scp` would take it: no -wal, no -shm.
        let copy = folder.appendingPathComponent("copy.sqlite")
        try FileManager.default.copyItem(at: db, to: copy)
        let out = folder.appendingPathComponent("r.csv").path
        let report = try await ProvisionBinary.run(["report", "--db", "sqlite:" + copy.path, "--format", "csv", "-o", out])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("1 runs, 1/1 passed"), "\(report.stdout)")
    }

    @Test func reportRefusesAFileThatIsNotAStoreAndLeavesItByteForByte() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let foreign = folder.appendingPathComponent("inventory.sqlite")
        let database = try SQLiteDatabase(path: foreign.path)
        try await database.transaction([SQLStatement("CREATE TABLE parts (sku TEXT, count INTEGER)"),
                                        SQLStatement("INSERT INTO parts VALUES ('A780E', 40)")])
        await database.close()
        let empty = folder.appendingPathComponent("empty.sqlite")
        try Data().write(to: empty)
        let out = folder.appendingPathComponent("r.html").path
        for file in [foreign, empty] {
            let before = try #require(FileManager.default.contents(atPath: file.path))
            let report = try await ProvisionBinary.run(["report", "--db", "sqlite:" + file.path, "-o", out])
            #expect(report.status == 2, "\(file.lastPathComponent): \(report.stderr)")
            #expect(report.stderr == "provision: sqlite:\(file.path): not a provision results store (no provision schema)\n")
            #expect(FileManager.default.contents(atPath: file.path) == before, "\(file.lastPathComponent) was changed")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }
}
