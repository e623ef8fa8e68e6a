import BoardSim
import Foundation
import Records
import SimulatedLine
import Station
import Testing
import TestSupport
import Vocabulary

/// Per-board rows on the simulated line: each board is given one pool row before it starts,
/// keeps it when it passes and gives it back when it fails; an empty pool holds boards back in
/// their slots (none fails) and the station stops taking boards.
@Suite(.serialized) struct StationPoolTests {
    typealias Rig = StationRunnerTests.Rig
    typealias Seen = StationRunnerTests.Seen

    static func pool(_ rows: Int) throws -> CSVTable {
        var text = "id,device_key\n"
        for i in 1...rows { text += "row\(i),secret-\(i)\n" }
        return try CSVTable(bytes: Array(text.utf8), file: "keys.csv")
    }

    func status(_ rig: Rig) async throws -> PoolStatus {
        let store = try await StoreURL.openForReading(rig.storeURL)
        defer { Task { await store.close() } }
        return try await store.poolStatus(pool: "keys")
    }

    @Test func twelveBoardsOverFourSlotsFromTenRowsPassTenAndHoldTwoBack() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        var config = rig.configuration(limit: 12)
        config.boardData = .pool(name: "keys", importing: try Self.pool(10), idColumn: "id")
        let seen = Seen()
        let summary = try await StationRunner(configuration: config, observer: seen).run(boards: rig.fixture(slots: 4))
        #expect(summary == StationRunSummary(passed: 10, failed: 0, other: 0, undelivered: 0))
        let runs = try await rig.runs()
        #expect(runs.count == 10, "the boards held back never started a run")
        #expect(runs.allSatisfy { $0.status == .pass })
        let rows = runs.compactMap(\.boardData)
        #expect(rows.count == 10 && Set(rows.map(\.row)).count == 10, "\(rows.map(\.row))")
        #expect(rows.allSatisfy { $0.source == "pool:keys" })
        let notes = seen.notes.withLock { $0 }
        let waiting = notes.filter { $0.hasSuffix("waiting: pool keys empty") }
        #expect(waiting.count == 2, "\(notes)")
        #expect(Set(waiting).count == 2, "two slots wait: \(waiting)")
        #expect(notes.contains { $0.hasPrefix("stopped taking boards: pool keys empty") }, "\(notes)")
        #expect(notes.contains("done: 10 passed, 0 failed"))
        #expect(try await status(rig) == PoolStatus(pool: "keys", available: 0, claimed: 0, kept: 10))
    }

    @Test func aBoardThatFailsAfterClaimingGivesItsRowToTheNextBoard() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        var config = rig.configuration(limit: 2)
        config.boardData = .pool(name: "keys", importing: try Self.pool(1), idColumn: "id")
        let summary = try await StationRunner(configuration: config, observer: Seen())
            .run(boards: rig.fixture(slots: 1, faults: [1: [.noNetwork]]))
        #expect(summary == StationRunSummary(passed: 1, failed: 1, other: 0, undelivered: 0))
        let runs = try await rig.runs()
        #expect(runs.map(\.status) == [.fail, .pass])
        #expect(runs.map { $0.boardData?.row } == ["row1", "row1"], "the failed board's row went to the next one")
        #expect(try await status(rig) == PoolStatus(pool: "keys", available: 0, claimed: 0, kept: 1))
    }

    @Test func aStationStartedAgainImportsNothingTwiceAndStartsNoBoardOnAnEmptyPool() async throws {
        let rig = try Rig.make()
        defer { rig.remove() }
        var config = rig.configuration(limit: 1)
        config.boardData = .pool(name: "keys", importing: try Self.pool(1), idColumn: "id")
        _ = try await StationRunner(configuration: config, observer: Seen()).run(boards: rig.fixture(slots: 1))
        let seen = Seen()
        let summary = try await StationRunner(configuration: config, observer: seen).run(boards: rig.fixture(slots: 1))
        #expect(summary == StationRunSummary(passed: 0, failed: 0, other: 0, undelivered: 0))
        let notes = seen.notes.withLock { $0 }
        #expect(notes.contains("pool keys: 0 row(s) imported from keys.csv, 1 already there (skipped)"), "\(notes)")
        #expect(notes.contains { $0.hasSuffix("waiting: pool keys empty") }, "\(notes)")
        #expect(try await rig.runs().count == 1)
    }

    @Test func twoStationsOnOnePostgreSQLStoreDrawFromOnePoolWithoutDoublingARow() async throws {
        guard PostgresServer.binFolder != nil else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must install PostgreSQL")
            print("StationPoolTests (PostgreSQL) skipped: PostgreSQL server binaries are not installed")
            return
        }
        let server = try PostgresServer()
        defer { server.stop() }
        let rig = try Rig.make()
        defer { rig.remove() }
        // 12 boards want rows (2 stations × 6), the pool has 8.
        func station(_ id: String, importing: Bool) throws -> StationRunConfiguration {
            var config = rig.configuration(limit: 6)
            config.storeURL = server.url
            config.stationID = id
            config.boardData = .pool(name: "keys", importing: importing ? try Self.pool(8) : nil, idColumn: "id")
            return config
        }
        let store = try await StoreURL.open(server.url)
        _ = try await store.importPoolRows(try Self.pool(8), pool: "keys")
        let (a, b) = (try station("st-a", importing: true), try station("st-b", importing: false))
        async let first = StationRunner(configuration: a, observer: Seen()).run(boards: rig.fixture(slots: 3))
        async let second = StationRunner(configuration: b, observer: Seen()).run(boards: rig.fixture(slots: 3))
        let (sa, sb) = try await (first, second)
        let runs = try await store.runs(RunQuery(batch: "runner"))
        let status = try await store.poolStatus(pool: "keys")
        await store.close()
        #expect(sa.failed + sb.failed == 0)
        #expect(sa.passed + sb.passed == 8, "every row went to one passing board: \(sa.passed) + \(sb.passed)")
        // No row is kept by two boards, and every run is recorded: both stations' simulated boards
        // share IMEIs, which once made a concurrent verdict fail on the boards table
        // (SharedBoardRowTests) and gave its row back.
        let rows = runs.filter { $0.status == .pass }.compactMap { $0.boardData?.row }
        #expect(rows.count == 8 && Set(rows).count == 8, "no row doubled: \(rows)")
        #expect(runs.filter { $0.status != .pass }.allSatisfy { $0.status != .running }, "every run ended")
        #expect(status == PoolStatus(pool: "keys", available: 0, claimed: 0, kept: 8))
        #expect(sa.other + sb.other == 0, "every run recorded: \(sa), \(sb)")
        print("two stations on one PostgreSQL pool of 8: st-a \(sa.passed), st-b \(sb.passed) passed, rows \(Set(rows).count) distinct")
    }

    @Test func boardDataRowsAreLookedUpByIMEIAndAKeyTwiceIsRefused() async throws {
        let imei = RuntimeIdentity.simulated(1).imei
        let table = try BoardDataTable(CSVTable(bytes: Array("imei,client_id\n\(imei),c-1\n861,c-2\n".utf8), file: "/x/data.csv"))
        let row = try await table.claim(for: BoardDataRequest(runID: "r", slotLabel: "s1", imei: imei))
        #expect(row == BoardDataRow(ref: .boardData("data.csv", key: imei), values: ["imei": imei, "client_id": "c-1"], runID: "r"))
        #expect(try await table.claim(for: BoardDataRequest(runID: "r", slotLabel: "s1", imei: "999")) == nil)
        await #expect(throws: BoardDataError.self) {
            try await table.claim(for: BoardDataRequest(runID: "r", slotLabel: "s1"))
        }
        let error = #expect(throws: CSVError.self) {
            try BoardDataTable(CSVTable(bytes: Array("imei,k\n861,a\n862,b\n861,c\n".utf8), file: "data.csv"))
        }
        #expect(error?.description == "data.csv:4: imei \"861\" already on line 2")
    }
}
