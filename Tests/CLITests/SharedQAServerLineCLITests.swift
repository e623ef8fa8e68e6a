import Foundation
import Testing
import TestSupport

/// A line: two stations and one shared `provision qa-server`, all recording into one PostgreSQL
/// on 127.0.0.1. The QA server is killed and started again mid-batch; no board's record is lost
/// or duplicated, and none carries another board's evidence (its signed report names its own
/// session and board, as `report --check-signatures` checks).
@Suite(.serialized) struct SharedQAServerLineCLITests {
    static let token = "line-token"
    static let boardsPerStation = 6

    static func startQAServer(port: Int, db: String, folder: URL) async throws -> RunningChild {
        let child = try RunningChild(ProvisionBinary.url.path, [
            "qa-server", "--listen", "127.0.0.1:\(port)", "--admin-token", token, "--db", db,
        ], folder: folder.path)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if child.stdout.contains("qa-server listening on 127.0.0.1:\(port)") { return child }
            if !child.stderr.isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        child.send(SIGKILL)
        _ = child.wait()
        throw ChildProcess.Failure("qa-server did not start on \(port): \(child.stdout)\(child.stderr)")
    }

    @Test func twoStationsAndARestartedQAServerLoseAndMixUpNothing() async throws {
        guard PostgresServer.binFolder != nil else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must install PostgreSQL (apt-get install postgresql)")
            print("SharedQAServerLineCLITests skipped: PostgreSQL server binaries are not installed")
            return
        }
        let postgres = try PostgresServer()
        defer { postgres.stop() }
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try PostgresServer.freePort()
        var qaServer = try await Self.startQAServer(port: port, db: postgres.url, folder: folder)

        let stations = try ["A", "B"].map { id in
            try RunningChild(ProvisionBinary.url.path, [
                "--soc", soc, app, "--simulate", "3", "--count", "\(Self.boardsPerStation)", "--db", postgres.url,
                "--batch", "line", "--station-id", "station-\(id)", "--json",
                "--qa-server", "http://127.0.0.1:\(port)", "--qa-token", Self.token,
            ], folder: folder.path)
        }
        // Mid-batch: once both stations have decided a board, the QA server dies and comes back.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline,
              !stations.allSatisfy({ $0.stdout.contains("\"event\":\"verdict\"") }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        qaServer.send(SIGKILL)
        _ = qaServer.wait()
        qaServer = try await Self.startQAServer(port: port, db: postgres.url, folder: folder)
        defer {
            qaServer.send(SIGTERM)
            _ = qaServer.wait()
        }
        for station in stations {
            let status = station.wait()
            #expect(status == 0 || status == 1, "a station ends with its verdicts: \(status)\n\(station.stderr)")
        }

        let json = folder.appendingPathComponent("line.json").path
        let report = try await ProvisionBinary.run(["report", "--db", postgres.url, "--batch", "line", "--format", "json", "-o", json])
        #expect(report.status == 0, "\(report.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
            as? [String: Any])
        let runs = try #require(document["runs"] as? [[String: Any]])
        // Nothing lost, nothing duplicated: each station decided exactly its boards.
        let byStation = Dictionary(grouping: runs) { $0["stationID"] as? String ?? "" }
        #expect(byStation["station-A"]?.count == Self.boardsPerStation, "\(byStation.mapValues(\.count))")
        #expect(byStation["station-B"]?.count == Self.boardsPerStation, "\(byStation.mapValues(\.count))")
        #expect(runs.allSatisfy { ["pass", "fail"].contains($0["status"] as? String ?? "") }, "\(runs.map { $0["status"] ?? "" })")
        // Each judged board has its own session, and its kept report names that session.
        let sessions = runs.compactMap { ($0["verdict"] as? [String: Any])?["sessionID"] as? String }
        #expect(Set(sessions).count == sessions.count, "a session judged two boards: \(sessions)")
        #expect(runs.filter { $0["status"] as? String == "pass" }.count >= Self.boardsPerStation,
                "most boards pass around the restart: \(runs.map { ($0["status"] ?? "", $0["failureClass"] ?? "") })")
        let check = try await ProvisionBinary.run(["report", "--db", postgres.url, "--batch", "line", "--check-signatures"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains(" 0 mismatch"), "\(check.stdout)")
    }
}
