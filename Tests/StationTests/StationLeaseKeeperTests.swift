import Foundation
import Records
import Station
import Synchronization
import Testing

/// A start with a station id another live station holds is refused and leaves that station's
/// boards alone; a stale or dead holder's id is taken over, and only then are its `running` rows
/// marked interrupted. The clock is a value the test sets.
@Suite struct StationLeaseKeeperTests {
    private static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    /// A clock the test moves by hand.
    final class Clock: Sendable {
        private let seconds = Mutex<Double>(0)
        func set(_ s: Double) { seconds.withLock { $0 = s } }
        var now: Date { StationLeaseKeeperTests.t0 + seconds.withLock { $0 } }
    }

    private func store() async throws -> (SQLResultsStore, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keeper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try await StoreURL.open("sqlite:" + folder.appendingPathComponent("r.sqlite").path)
        try await store.ensureBatch(BatchInfo(name: "b", createdAt: Self.t0))
        return (store, folder)
    }

    private func keeper(_ store: SQLResultsStore, _ clock: Clock, pid: Int, gone: Bool = false) -> StationLeaseKeeper {
        StationLeaseKeeper(store: store, stationID: "line3-st2", holder: LeaseHolder(host: "station-pc", pid: pid),
                           timing: .standard, now: { clock.now }, processIsGone: { _ in gone })
    }

    @Test func aLiveStationIDIsRefusedAndItsBoardsAreLeftRunningUntilTheLeaseIsStale() async throws {
        let (store, folder) = try await store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = Clock()
        let first = keeper(store, clock, pid: 100)
        #expect(try await first.start() == 0)
        try await store.startRun(RunStart(runID: "board-1", batch: "b", stationID: "line3-st2", slotPath: "1-1.1",
                                          slotLabel: "A1", startedAt: Self.t0))

        clock.set(4)
        #expect(try await first.renew())
        clock.set(10)
        let second = keeper(store, clock, pid: 200)
        let refusal = await #expect(throws: StationIDInUse.self) { try await second.start() }
        #expect(refusal?.lease.heartbeatAt == Self.t0 + 4)
        let message = refusal?.description ?? ""
        #expect(message.contains("\"line3-st2\"") && message.contains("last seen 2026-09-21T"), "\(message)")
        #expect(message.contains("6.0 s ago") && message.contains("--station-id"), "\(message)")
        #expect(try await store.runs(RunQuery(runID: "board-1")).first?.status == .running,
                "a refused start must not touch the live station's boards")

        // The first station stops renewing (it crashed): 15 s after its last heartbeat the id is free.
        clock.set(19)
        await #expect(throws: StationIDInUse.self) { try await second.start() }
        clock.set(19.5)
        #expect(try await second.start() == 1, "taken over, then its board marked interrupted")
        #expect(try await store.runs(RunQuery(runID: "board-1")).first?.status == .interrupted)
        #expect(try await first.renew() == false, "the stalled first station learns it lost the id")
        await second.release()
        await store.close()
    }

    @Test func aHolderWhoseProcessIsGoneIsReplacedWithoutWaiting() async throws {
        let (store, folder) = try await store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = Clock()
        #expect(try await keeper(store, clock, pid: 100).start() == 0)
        try await store.startRun(RunStart(runID: "board-1", batch: "b", stationID: "line3-st2", slotPath: "1-1.1",
                                          slotLabel: "A1", startedAt: Self.t0))
        clock.set(1)
        let restart = keeper(store, clock, pid: 200, gone: true)
        #expect(try await restart.start() == 1)
        await restart.release()
        #expect(try await store.lease(stationID: "line3-st2") == nil, "a clean stop frees the id")
        await store.close()
    }

    @Test func thisProcessIsNeverGoneAndAnotherHostCannotBeChecked() {
        let me = StationLeaseKeeper.thisProcess()
        #expect(StationLeaseKeeper.localProcessIsGone(me) == false)
        #expect(StationLeaseKeeper.localProcessIsGone(LeaseHolder(host: me.host + "-other", pid: 999_999_999)) == false)
        #expect(StationLeaseKeeper.localProcessIsGone(LeaseHolder(host: me.host, pid: Int(Int32.max))))
    }
}
