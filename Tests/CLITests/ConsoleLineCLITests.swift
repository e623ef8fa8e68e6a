import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// `provision console --db`: the line view of two stations writing to one PostgreSQL store.
@Suite(.serialized) struct ConsoleLineCLITests {
    private func get(_ url: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    private func snapshot(_ base: String) async throws -> [String: Any] {
        let (status, body) = try await get(base + "/api/snapshot")
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw ChildProcess.Failure("snapshot: \(status) \(body)")
        }
        return object
    }

    @Test func theLineViewShowsTwoStationsSharingOneStore() async throws {
        guard PostgresServer.binFolder != nil else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must install PostgreSQL (apt-get install postgresql)")
            return
        }
        let postgres = try PostgresServer()
        defer { postgres.stop() }
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The store's schema exists before the line view reads it: the view migrates it as stations do.
        let line = try RunningChild(ProvisionBinary.url.path, ["console", "--db", postgres.url, "--listen", "127.0.0.1:0"],
                                    folder: folder.path)
        defer { line.send(SIGTERM); _ = line.wait() }
        let base = try #require(try await ConsoleBrowserCLITests.consoleURL(of: line), "\(line.stderr)")
            .trimmingCharacters(in: CharacterSet(charactersIn: "/"))

        let stations = try ["east", "west"].map { id in
            try RunningChild(ProvisionBinary.url.path, [
                "--soc", soc, app, "--simulate", "2", "--count", "2", "--db", postgres.url, "--batch", "line",
                "--station-id", id, "--json",
            ] + (id == "west" ? ["--sim-fault", "1=no-network"] : []), folder: folder.path)
        }
        let statuses = stations.map { $0.wait() }
        #expect(statuses == [0, 1], "east passes both boards, west fails one: \(stations.map { $0.stderr + ProvisionBinary.failures($0.stdout) })")

        // The view reads the store every second: wait for it to have read both stations' last states.
        let deadline = ContinuousClock.now + .seconds(30)
        var tiles: [[String: Any]] = []
        var counters: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            let s = try await snapshot(base)
            tiles = s["tiles"] as? [[String: Any]] ?? []
            counters = s["counters"] as? [String: Any] ?? [:]
            let decided = tiles.filter { ["pass", "fail"].contains($0["state"] as? String ?? "") }
            if decided.count == 4, counters["boards"] as? Int == 4 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let byStation = Dictionary(grouping: tiles) { $0["station"] as? String ?? "" }
        #expect(byStation.keys.sorted() == ["east", "west"])
        #expect(byStation["east"]?.compactMap { $0["state"] as? String }.sorted() == ["pass", "pass"])
        #expect(byStation["west"]?.compactMap { $0["state"] as? String }.sorted() == ["fail", "pass"])
        #expect(byStation["west"]?.first { $0["slot"] as? String == "99-1" }?["failureClass"] as? String == "no_network_attach")
        #expect(counters["boards"] as? Int == 4 && counters["failed"] as? Int == 1 && counters["passed"] as? Int == 3)
        let pareto = counters["pareto"] as? [[String: Any]] ?? []
        #expect(pareto.first?["failureClass"] as? String == "no_network_attach")

        // The page and its live stream come from the line view too.
        let (status, page) = try await get(base + "/")
        #expect(status == 200 && page.contains("/console.js"))
        let recent = counters["recent"] as? [[String: Any]] ?? []
        let failedRun = try #require(recent.first { $0["status"] as? String == "fail" }?["runID"] as? String)
        let (boardStatus, board) = try await get(base + "/board/" + failedRun)
        #expect(boardStatus == 200 && board.contains("no_network_attach") && board.contains("west"))
    }
}
