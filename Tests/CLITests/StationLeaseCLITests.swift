import Foundation
import Records
import TestSupport
import Testing

/// Two stations with one station id on one store: the second start is refused (exit 2, one line
/// naming the id and when it was last seen) and the first one's boards are left alone; once the
/// first stops cleanly, the id is free.
@Suite(.serialized) struct StationLeaseCLITests {
    @Test func aLiveStationIDIsRefusedAndItsBoardsAreNotMarkedInterrupted() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine(app: "log.info('app', 'up')\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("results.sqlite").path
        let first = try RunningChild(ProvisionBinary.url.path, [
            "--soc", soc, app, "--simulate", "3", "--count", "500", "--db", "sqlite:" + db, "--batch", "lease",
            "--station-id", "st-twin", "--json",
        ], folder: folder.path)
        var firstStopped = false
        // Only a child not yet reaped is killed: a reaped pid may belong to another process.
        defer { if !firstStopped { first.send(SIGKILL); _ = first.wait() } }

        // Wait (polling the store, as an operator would look) until the first has boards in flight.
        let deadline = ContinuousClock.now + .seconds(120)
        var inFlight: [String] = []
        while inFlight.isEmpty, ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: db) {
                let store = try await StoreURL.open(db)
                inFlight = try await store.runs(RunQuery()).filter { $0.status == .running }.map(\.runID)
                await store.close()
            }
            if inFlight.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(!inFlight.isEmpty, "the first station never had a board in flight: \(first.stderr)")

        let second = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "1", "--count", "1", "--db", "sqlite:" + db, "--batch", "lease",
            "--station-id", "st-twin",
        ])
        #expect(second.status == 2, "stdout: \(second.stdout)\nstderr: \(second.stderr)")
        let lines = second.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(second.stderr)")
        #expect(lines.first?.contains("\"st-twin\"") == true && lines.first?.contains("last seen") == true,
                "\(second.stderr)")
        #expect(!second.stdout.contains("marked interrupted"))

        let store = try await StoreURL.open(db)
        let runs = try await store.runs(RunQuery())
        await store.close()
        #expect(!runs.contains { $0.status == .interrupted }, "the live station's boards were marked interrupted")
        for id in inFlight {
            #expect(runs.first { $0.runID == id }?.status != .interrupted)
        }

        // A clean stop frees the id: the next start with it runs.
        first.send(SIGINT)
        let firstStatus = first.wait()
        firstStopped = true
        // The exit status says what the store holds: 1 when a board in flight at the signal was
        // recorded interrupted (or failed), 0 when every board it started passed (a fast machine
        // can be between boards in every slot at the signal).
        let stopped = try await ProvisionBinary.waitForRuns(db) { _ in true }
        #expect(!stopped.contains { $0.status == .running }, "a run of the stopped station was left running")
        let expected: Int32 = stopped.allSatisfy { $0.status == .pass } ? 0 : 1
        #expect(firstStatus == expected, "\(stopped.map(\.status.rawValue).sorted()): \(first.stderr)\n\(ProvisionBinary.failures(first.stdout))")
        let third = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "1", "--count", "1", "--db", "sqlite:" + db, "--batch", "lease",
            "--station-id", "st-twin",
        ])
        #expect(third.status == 0, "stdout: \(third.stdout)\nstderr: \(third.stderr)")
    }
}
