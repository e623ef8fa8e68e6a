import Foundation
import Records
import TestSupport
import Testing

/// A station killed mid-batch loses no decided record, and its runs in flight are marked
/// interrupted when it starts again; Ctrl-C stops it cleanly with every board recorded.
@Suite(.serialized) struct StationCrashCLITests {
    private struct Line {
        let folder: URL
        let soc: String
        let app: String
        let db: String
    }

    private func line() throws -> Line {
        let (folder, soc, app) = try ProvisionBinary.stationLine(app: "log.info('app', 'up')\n")
        return Line(folder: folder, soc: soc, app: app,
                    db: folder.appendingPathComponent("results.sqlite").path)
    }

    private func start(_ line: Line, stationID: String) throws -> RunningChild {
        try RunningChild(ProvisionBinary.url.path, [
            "--soc", line.soc, line.app, "--simulate", "3", "--count", "500", "--db", "sqlite:" + line.db,
            "--batch", "crash", "--station-id", stationID, "--json",
            // Boards that take a realistic time keep runs in flight while the store is polled; with
            // fast boards, a slot between two boards (the simulated operator's swap) is as likely.
            "--sim-timing", "realistic",
        ], folder: line.folder.path)
    }


    private func decided(_ runs: [RunRecord]) -> [String: RunStatus] {
        Dictionary(uniqueKeysWithValues: runs.filter { $0.status == .pass || $0.status == .fail }
            .map { ($0.runID, $0.status) })
    }

    @Test func killNineLosesNoDecidedRecordAndRestartMarksInFlightRunsInterrupted() async throws {
        let line = try line()
        defer { try? FileManager.default.removeItem(at: line.folder) }
        let station = try start(line, stationID: "st-kill")
        let before = try await ProvisionBinary.waitForRuns(line.db) { runs in
            decided(runs).count >= 2 && runs.contains { $0.status == .running }
        }
        station.send(SIGKILL)
        #expect(station.wait() == 128 + SIGKILL)

        let store = try await StoreURL.open(line.db)
        let afterKill = try await store.runs(RunQuery())
        await store.close()
        let decidedBefore = decided(before)
        // Every decision seen before the kill is still there, unchanged.
        for (id, status) in decidedBefore {
            #expect(afterKill.first { $0.runID == id }?.status == status)
        }
        let inFlight = afterKill.filter { $0.status == .running }.map(\.runID)
        #expect(!inFlight.isEmpty)

        let restart = try await ProvisionBinary.run([
            "--soc", line.soc, line.app, "--simulate", "1", "--count", "1", "--db", "sqlite:" + line.db,
            "--batch", "crash", "--station-id", "st-kill",
        ])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(restart.stdout.contains("marked interrupted"))
        let final = try await ProvisionBinary.waitForRuns(line.db, within: .seconds(5)) { _ in true }
        for id in inFlight {
            #expect(final.first { $0.runID == id }?.status == .interrupted)
        }
        #expect(!final.contains { $0.status == .running })
        #expect(decided(final).count == decided(afterKill).count + 1)
    }

    @Test func ctrlCStopsTheStationAndRecordsEveryBoard() async throws {
        let line = try line()
        defer { try? FileManager.default.removeItem(at: line.folder) }
        let station = try start(line, stationID: "st-int")
        _ = try await ProvisionBinary.waitForRuns(line.db) { runs in
            decided(runs).count >= 1 && runs.contains { $0.status == .running }
        }
        station.send(SIGINT)
        let status = station.wait()
        #expect(status == 1, "interrupted boards are not passes: \(station.stderr)")
        let store = try await StoreURL.open(line.db)
        let runs = try await store.runs(RunQuery())
        await store.close()
        #expect(!runs.contains { $0.status == .running }, "every board in flight is recorded")
        #expect(runs.contains { $0.status == .interrupted })
        #expect(station.stdout.contains("\"status\":\"interrupted\""))
    }

    /// The same on boards driven like real ones (the udev-style slot floor): Ctrl-C waits for
    /// every board in flight to record itself before the store closes.
    @Test func ctrlCOnTheRealBoardFloorRecordsEveryBoardInFlight() async throws {
        let line = try line()
        defer { try? FileManager.default.removeItem(at: line.folder) }
        let station = try RunningChild(ProvisionBinary.url.path, [
            "--soc", line.soc, line.app, "--simulate", "3", "--sim-bus", "pty", "--sim-timing", "realistic",
            "--db", "sqlite:" + line.db, "--batch", "crash", "--station-id", "st-pty", "--json",
        ], folder: line.folder.path)
        _ = try await ProvisionBinary.waitForRuns(line.db) { runs in runs.filter { $0.status == .running }.count == 3 }
        station.send(SIGINT)
        let status = station.wait()
        #expect(status == 1, "interrupted boards are not passes: \(station.stderr)")
        let store = try await StoreURL.open(line.db)
        let runs = try await store.runs(RunQuery())
        await store.close()
        #expect(runs.count == 3)
        #expect(runs.allSatisfy { $0.status == .interrupted }, "\(runs.map(\.status))")
        #expect(!station.stderr.contains("cannot record"), "\(station.stderr)")
        #expect(station.stdout.components(separatedBy: "\"status\":\"interrupted\"").count - 1 == 3)
    }
}
