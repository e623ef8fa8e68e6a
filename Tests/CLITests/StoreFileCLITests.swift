import Foundation
import Testing

/// What the SQLite results store leaves on disk: a station's records in the `.sqlite` file itself
/// once it has stopped.
@Suite struct StoreFileCLITests {
    @Test func aCopyOfTheSQLiteFileAloneHoldsTheRecordsAfterANormalExit() throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("results.sqlite")
        let station = try ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--count", "1",
                                               "--db", "sqlite:" + db.path])
        #expect(station.status == 0, "\(station.stderr)")
        // Only the main file, as a backup or an `scp` would take it: no -wal, no -shm.
        let copy = folder.appendingPathComponent("copy.sqlite")
        try FileManager.default.copyItem(at: db, to: copy)
        let out = folder.appendingPathComponent("r.csv").path
        let report = try ProvisionBinary.run(["report", "--db", "sqlite:" + copy.path, "--format", "csv", "-o", out])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("1 runs, 1/1 passed"), "\(report.stdout)")
    }
}
