import Foundation
import Testing

/// A plan that would write the RF calibration or NV regions is refused with exit 2 before any
/// board, store or server is touched.
@Suite struct CalibrationGuardCLITests {
    @Test func aCraftedSocTouchingTheCalibrationIsRefusedEverywhere() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let soc = folder.appendingPathComponent("crafted.soc").path
        let made = try await ProvisionBinary.run(["sim", "make-soc", soc, "--size", "small", "--cp-offset", "0xE7000"])
        #expect(made.status == 0, "\(made.stderr)")
        let app = folder.appendingPathComponent("main.lua")
        try Data(ProvisionBinary.aliveApp.utf8).write(to: app)
        let db = folder.appendingPathComponent("results.sqlite").path

        let station = try await ProvisionBinary.run(["--soc", soc, app.path, "--simulate", "2", "--count", "2",
                                               "--db", "sqlite:" + db, "--json"])
        #expect(station.status == 2, "\(station.stderr)")
        #expect(station.stderr.contains("crafted.soc"))
        #expect(station.stderr.contains("CP NV and RF calibration"))
        #expect(station.stderr.split(separator: "\n").count == 1, "\(station.stderr)")
        #expect(ProvisionBinary.events(station.stdout, named: "step_started").isEmpty, "no board was touched")
        #expect(!FileManager.default.fileExists(atPath: db), "refused before the store is made")

        let dryRun = try await ProvisionBinary.run(["flash", "--soc", soc, "--dry-run"])
        #expect(dryRun.status == 2, "\(dryRun.stderr)")
        #expect(dryRun.stderr.contains("CP NV and RF calibration"))
    }

    @Test func aProfileProtectingTheScriptPartitionStopsTheStationBeforeTheStore() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles/air780e.toml")
        let profile = folder.appendingPathComponent("guarded.toml")
        try Data((try String(contentsOf: shipped, encoding: .utf8) + """

            [flash]
            protected = [{ name = "serial number block", storage = "ap_flash", start = 0x2CC000, end = 0x2CD000 }]
            """).utf8).write(to: profile)
        let db = folder.appendingPathComponent("results.sqlite").path
        let station = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--count", "1",
                                               "--profile", profile.path, "--db", "sqlite:" + db])
        #expect(station.status == 2, "\(station.stderr)")
        #expect(station.stderr.contains("serial number block"), "\(station.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db))
    }
}
