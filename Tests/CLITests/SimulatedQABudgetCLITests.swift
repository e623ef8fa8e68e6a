import Foundation
import Testing
import TestSupport

/// Simulated boards' QA budgets (scripts/lossy-link-tier found boards false-failing with -8 on a
/// netem link): the short check timeout is for this station's own QA server on this machine; with
/// a shared QA server the boards' requests cross a real network and keep the profile's timeout.
@Suite struct SimulatedQABudgetCLITests {
    @Test func aSharedQAServerKeepsTheProfilesCheckTimeout() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let own = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "2", "--dry-run"], in: folder)
        #expect(own.status == 0, "\(own.stderr)")
        #expect(own.stdout.contains("check timeout 5000 ms"), "\(own.stdout)")

        // Nothing is contacted in a dry run: the address only has to be a valid URL.
        let shared = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "2", "--dry-run",
                                              "--qa-server", "http://127.0.0.1:9", "--qa-token", "t"], in: folder)
        #expect(shared.status == 0, "\(shared.stderr)")
        #expect(shared.stdout.contains("check timeout 15000 ms"), "\(shared.stdout)")
        #expect(shared.stdout.contains("QA server: shared, http://127.0.0.1:9"), "\(shared.stdout)")
    }
}
