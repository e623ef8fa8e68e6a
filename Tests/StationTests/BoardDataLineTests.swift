import BoardSim
import Firmware
import Foundation
import LuaImage
import Records
import SimulatedLine
import Station
import Testing
import Vocabulary

/// Per-board data on the simulated line, end to end: the station writes each board's row into
/// its fskv and LittleFS regions with the production flash, and the production app on the
/// simulated board reads them back through `fskv.get` and `io.readFile`.
@Suite(.serialized) struct BoardDataLineTests {
    typealias Rig = StationRunnerTests.Rig
    typealias Seen = StationRunnerTests.Seen

    /// Fails its boot check (a Lua error) unless fskv and the file system hold the same row.
    static let app = """
        sys = require("sys")
        sys.taskInit(function()
            fskv.init()
            local key = fskv.get("device_key")
            local n = fskv.get("count")
            local expect = io.readFile("/certs/expect.txt")
            if key == nil or key ~= expect then
                error("device_key " .. tostring(key) .. " but /certs/expect.txt has " .. tostring(expect))
            end
            if math.type(n) ~= "integer" then error("count is a " .. type(n)) end
            log.info("app", "provisioned", key, n)
        end)
        sys.run()
        """

    static let provisioning = """

        [provisioning]
        fskv = [
            { key = "device_key", column = "device_key", type = "string" },
            { key = "count", column = "count", type = "integer" },
        ]
        files = [{ path = "/certs/expect.txt", column = "expect_file" }]
        """

    func configuration(_ rig: Rig, limit: Int, rows: [(String, String, String?)]) throws -> StationRunConfiguration {
        var config = rig.configuration(limit: limit)
        let shipped = try String(contentsOfFile: Rig.profilePath, encoding: .utf8)
        config.profile = try Profile(toml: shipped + Self.provisioning, source: Rig.profilePath)
        config.production = try ScriptImageBuilder.build(
            inputs: [ScriptInput(path: "main.lua", name: "main.lua", bytes: Array(Self.app.utf8))], options: rig.options)
        var csv = "id,device_key,count,expect_file\n"
        for (index, (id, key, file)) in rows.enumerated() {
            if let file {
                try Data(key.utf8).write(to: rig.folder.appendingPathComponent(file))
            }
            csv += "\(id),\(key),\(index + 7),\(file ?? "missing-\(id).txt")\n"
        }
        config.boardData = .pool(name: "keys", importing: try CSVTable(bytes: Array(csv.utf8), file: "keys.csv"), idColumn: "id")
        config.boardFilesFolder = rig.folder.path
        return config
    }

    @Test func eachBoardsAppReadsTheRowTheStationWroteAndABadRowFailsOnlyItsBoard() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        let config = try configuration(rig, limit: 3, rows: [("r1", "dk-aaa1", "a1.txt"), ("r2", "dk-bbb2", "b2.txt"),
                                                             ("r3", "dk-ccc3", nil)])
        let seen = Seen()
        let summary = try await StationRunner(configuration: config, observer: seen).run(boards: rig.fixture(slots: 3))
        let runs = try await rig.runs()
        let byRow = Dictionary(uniqueKeysWithValues: runs.compactMap { run in run.boardData.map { ($0.row, run) } })
        #expect(summary.passed == 2 && summary.failed == 1, "\(runs.map { "\($0.status) \($0.failureClass?.rawValue ?? "") \($0.detail ?? "")" })")
        #expect(byRow["r1"]?.status == .pass, "\(byRow["r1"]?.detail ?? "")")
        #expect(byRow["r2"]?.status == .pass, "\(byRow["r2"]?.detail ?? "")")
        let bad = try #require(byRow["r3"])
        #expect(bad.failureClass == .boardDataFailed)
        #expect(bad.failurePhase == StationStep.flashScript.rawValue)
        #expect((bad.detail ?? "").contains("pool:keys row r3") && (bad.detail ?? "").contains("missing-r3.txt"), "\(bad.detail ?? "")")
        let store = try await StoreURL.openForReading(rig.storeURL)
        let status = try await store.poolStatus(pool: "keys")
        await store.close()
        #expect(status == PoolStatus(pool: "keys", available: 1, claimed: 0, kept: 2), "the failed board's row went back")
    }

    @Test func theAppNoticesWhenTheRegionsDisagree() async throws {
        // The check above can fail: a row whose file says something else fails its board's boot check.
        let rig = try Rig.make()
        defer { rig.remove() }
        var config = try configuration(rig, limit: 1, rows: [("r1", "dk-aaa1", "a1.txt")])
        try Data("something else".utf8).write(to: rig.folder.appendingPathComponent("a1.txt"))
        config.boardFilesFolder = rig.folder.path
        // The app's error ends the boot check at once; the rig's 800 ms window could close before
        // a loaded machine's simulated app got that far, and the board would pass unchecked.
        config.bootCheck = BootCheckRules(window: .seconds(30))
        let summary = try await StationRunner(configuration: config, observer: Seen()).run(boards: rig.fixture(slots: 1))
        let run = try #require(try await rig.runs().first)
        #expect(summary.failed == 1)
        #expect(run.failureClass == .appLuaError, "\(run.failureClass?.rawValue ?? "pass"): \(run.detail ?? "")")
        // The boot check names the error's first log line; a loaded machine may cut it at a frame.
        let detail = run.detail ?? ""
        #expect(detail.contains("device_key dk-aaa1 but /certs/expect.txt has something else") || detail.hasPrefix("E/"),
                "\(detail)")
    }
}
