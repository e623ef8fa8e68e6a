import Foundation
import Testing

/// `provision --verify` on simulated boards: every image is read back, and a board whose flash
/// lost a bit after the AgentBoot acknowledged it fails its full flash with the place named.
@Suite struct StationVerifyCLITests {
    @Test func verifyFailsOnlyTheBoardWhoseFlashLostABit() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = "sqlite:" + folder.appendingPathComponent("results.sqlite").path
        let result = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "2", "--db", db, "--json", "--verify",
            "--sim-fault", "1=flips-flash-bit",
        ])
        #expect(result.status == 1, "a failed board makes exit code 1: \(result.stderr)")
        let verdicts = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["event"] as? String == "verdict" }
        let bySlot = Dictionary(uniqueKeysWithValues: verdicts.map { ($0["slot"] as? String ?? "", $0) })
        #expect(bySlot["99-2"]?["status"] as? String == "pass", "\(verdicts)")
        let failed = try #require(bySlot["99-1"])
        #expect(failed["status"] as? String == "fail")
        #expect(failed["failure_class"] as? String == "flash_failed")
        #expect(failed["step"] as? String == "flash_full")
        #expect((failed["detail"] as? String)?.contains("read-back of") == true, "\(failed)")
    }
}
