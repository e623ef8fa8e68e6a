import BoardSim
import EC618
import Firmware
import Foundation
import LuaImage
import QA
import Records
import SimulatedLine
import Station
import Synchronization
import Testing
import TestSupport
import Vocabulary

/// The runner's policies, run in process on simulated boards (memory bus, the one board driver):
/// the count budget, the stop, reports, faults by board, and inputs refused before any board.
@Suite(.serialized) struct StationRunnerTests {
    /// What the observer was told, in order.
    final class Seen: StationObserver {
        let events = Mutex<[StationEvent]>([])
        let notes = Mutex<[String]>([])
        let onVerdict: @Sendable () -> Void
        init(onVerdict: @escaping @Sendable () -> Void = {}) { self.onVerdict = onVerdict }
        func show(_ event: StationEvent) {
            events.withLock { $0.append(event) }
            if case .verdict = event.kind { onVerdict() }
        }
        func note(_ text: String) { notes.withLock { $0.append(text) } }
        func slotNote(path: String, label: String, step: String, _ text: String) { note("\(label): \(text)") }
    }

    struct Rig {
        let folder: URL
        let package: SocPackage
        let profile: Profile
        let production: ScriptImage
        let options: ScriptImageOptions

        static func make() throws -> Rig {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let package = try SocPackage(bytes: SyntheticSoc().make(), path: folder.appendingPathComponent("t.soc").path)
            let options = try package.scriptImageOptions()
            let production = try ScriptImageBuilder.build(
                inputs: [ScriptInput(path: "main.lua", name: "main.lua",
                                     bytes: Array("sys = require(\"sys\")\nsys.taskInit(function() log.info(\"app\", \"up\") end)\nsys.run()\n".utf8))],
                options: options)
            return Rig(folder: folder, package: package, profile: try Profile.load(Self.profilePath),
                       production: production, options: options)
        }

        static var checkout: URL {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        static var profilePath: String { checkout.appendingPathComponent("profiles/air780e.toml").path }
        static var qaFolder: String { checkout.appendingPathComponent("profiles/air780e/qa").path }

        var storeURL: String { "sqlite:" + folder.appendingPathComponent("results.sqlite").path }

        func configuration(limit: Int?, qaFolder: String = Rig.qaFolder) -> StationRunConfiguration {
            let plan = QAPlan(checks: [.get, .formPost, .multipartUpload, .download], attachBudgetMs: 3_000,
                              checkTimeoutMs: 5_000, downloadBytes: 8192, uploadBytes: 4096)
            var config = StationRunConfiguration(
                storeURL: storeURL, stationID: "runner-test", batch: BatchInfo(name: "runner"), profile: profile,
                package: package, agentBoot: SyntheticSoc.agentBootBytes(), production: production,
                scriptOptions: options, qaScriptFolder: qaFolder, qaPlan: plan, qaListen: HostPort(host: "127.0.0.1", port: 0))
            config.boardLimit = limit
            config.bootCheck = BootCheckRules(window: .milliseconds(800))
            return config
        }

        func fixture(slots: Int, faults: [Int: Set<SimulatedBoardFault>] = [:]) -> SimulatedFixture {
            var model = SimulatedFixture.BoardModel(scriptPartition: package.plan.scriptPartition,
                                                    planBytes: package.plan.totalBytes)
            model.faults = faults
            return SimulatedFixture(slots: slots, model: model)
        }

        func runs() async throws -> [RunRecord] {
            let store = try await StoreURL.openForReading(storeURL)
            defer { Task { await store.close() } }
            return try await store.runs(RunQuery(batch: "runner"))
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    @Test func theBudgetDecidesExactlyThatManyBoardsAcrossSwaps() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        let seen = Seen()
        // 2 slots, 5 boards: each slot's board is swapped for the next until the budget is spent.
        let summary = try await StationRunner(configuration: rig.configuration(limit: 5), observer: seen)
            .run(boards: rig.fixture(slots: 2, faults: [4: [.noNetwork]]))
        #expect(summary == StationRunSummary(passed: 4, failed: 1, other: 0, undelivered: 0))
        let runs = try await rig.runs()
        #expect(runs.count == 5)
        // Boards 1…4 each ran once, and the fifth run is whichever slot's third board came first
        // (slot 1 takes boards 1, 3, 5; slot 2 takes 2, 4, 6): the passing ones reported their
        // IMEIs (which follow from their numbers); board 4 had no 4G, so it never reported one.
        let passedIMEIs = Set(runs.filter { $0.status == .pass }.compactMap(\.imei))
        let imei = { (n: Int) in RuntimeIdentity.simulated(n).imei }
        #expect(passedIMEIs.count == 4, "\(runs.map(\.imei))")
        #expect(passedIMEIs.isSuperset(of: [1, 2, 3].map(imei)), "\(runs.map(\.imei))")
        #expect(passedIMEIs.contains(imei(5)) != passedIMEIs.contains(imei(6)), "one third board: \(runs.map(\.imei))")
        let failed = try #require(runs.first { $0.status == .fail })
        #expect(failed.failureClass == .noNetworkAttach, "\(failed.detail ?? "")")
        #expect(Set(runs.map(\.slotLabel)) == ["slot1", "slot2"])
    }

    @Test func aStopEndsBoardsInFlightAsInterruptedAndStartsNoMore() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        let stop = StationStop()
        let seen = Seen(onVerdict: { stop.raise() })
        let summary = try await StationRunner(configuration: rig.configuration(limit: 20), observer: seen)
            .run(boards: rig.fixture(slots: 3), stop: stop)
        let runs = try await rig.runs()
        // Whatever was decided before the stop is kept; the rest of the 20 never started.
        #expect(runs.count == summary.passed + summary.failed + summary.other)
        #expect(runs.count <= 3, "no board starts after the stop: \(runs.count)")
        #expect(summary.passed >= 1)
        #expect(runs.allSatisfy { $0.status != .running }, "every run is decided or interrupted")
    }

    @Test func reportsAreWrittenWhenTheStationStops() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        var config = rig.configuration(limit: 1)
        config.reportFolder = rig.folder.path
        config.reportFormats = [.csv, .json]
        _ = try await StationRunner(configuration: config, observer: Seen()).run(boards: rig.fixture(slots: 1))
        let csv = try String(contentsOf: rig.folder.appendingPathComponent("runner.csv"), encoding: .utf8)
        #expect(csv.contains(RuntimeIdentity.simulated(1).imei))
        #expect(FileManager.default.fileExists(atPath: rig.folder.appendingPathComponent("runner.json").path))
    }

    @Test func aQAScriptErrorIsRefusedBeforeTheStoreOrAnyBoard() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        let broken = rig.folder.appendingPathComponent("qa")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Rig.qaFolder) {
            try FileManager.default.copyItem(atPath: Rig.qaFolder + "/" + name, toPath: broken.appendingPathComponent(name).path)
        }
        try Data("local x = = 1\n".utf8).write(to: broken.appendingPathComponent("qa_checks_extra.lua"))
        let fixture = rig.fixture(slots: 1)
        await #expect(throws: LuaImageError.self) {
            _ = try await StationRunner(configuration: rig.configuration(limit: 1, qaFolder: broken.path), observer: Seen())
                .run(boards: fixture)
        }
        #expect(!FileManager.default.fileExists(atPath: rig.folder.appendingPathComponent("results.sqlite").path),
                "nothing recorded: the store was never opened")
    }

    @Test func runsAnEarlierStartLeftInFlightAreMarkedInterrupted() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        let store = try await StoreURL.open(rig.storeURL)
        try await store.ensureBatch(BatchInfo(name: "runner"))
        try await store.startRun(RunStart(runID: "left-behind", batch: "runner", stationID: "runner-test",
                                          slotPath: "99-1", slotLabel: "slot1"))
        await store.close()
        let seen = Seen()
        _ = try await StationRunner(configuration: rig.configuration(limit: 1), observer: seen).run(boards: rig.fixture(slots: 1))
        let left = try #require(try await rig.runs().first { $0.runID == "left-behind" })
        #expect(left.status == .interrupted)
        #expect(seen.notes.withLock { $0 }.contains { $0.contains("1 run(s) left in flight") })
    }

    @Test func realBoardsAreNeverGivenThisPCsLoopbackAndAPrivateAddressIsNoted() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        var config = rig.configuration(limit: 1)
        config.boardsUseCarrierNetwork = true
        await #expect(throws: BoardReachError.self) {
            _ = try await StationRunner(configuration: config, observer: Seen()).run(boards: rig.fixture(slots: 1))
        }
        #expect(!FileManager.default.fileExists(atPath: rig.folder.appendingPathComponent("results.sqlite").path),
                "refused before the store is opened")

        config.qaPublicURL = "http://10.1.2.3:8080"
        let seen = Seen()
        let stop = StationStop()
        stop.raise()
        _ = try await StationRunner(configuration: config, observer: seen).run(boards: rig.fixture(slots: 1), stop: stop)
        #expect(seen.notes.withLock { $0 }.contains { $0.contains("10.1.2.3") && $0.contains("private APN") },
                "\(seen.notes.withLock { $0 })")
    }
}
