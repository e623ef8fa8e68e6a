import Console
import Foundation
import Records
import Station
import Synchronization
import Testing
import Vocabulary

/// The tiles and counters the console derives from the station's events.
struct ConsoleStateTests {
    /// A clock the test moves.
    final class Clock: Sendable {
        private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    private func event(_ slot: Int, _ run: String, _ kind: StationEvent.Kind, at: Date) -> StationEvent {
        StationEvent(at: at, slotPath: "99-\(slot)", slotLabel: "slot\(slot)", runID: run, kind: kind)
    }

    private func tile(_ state: ConsoleState, _ slot: Int) async -> ConsoleTile? {
        await state.snapshot().tiles.first { $0.slot == "99-\(slot)" }
    }

    @Test func aBoardMovesThroughTheStatesToItsVerdict() async throws {
        let clock = Clock()
        let state = ConsoleState(title: "t", station: "s1", actions: true, now: { clock.now })
        await state.apply(event(1, "r1", .runStarted, at: clock.now))
        #expect(await tile(state, 1)?.state == .starting)
        #expect(await tile(state, 1)?.boards == 1)
        await state.apply(event(1, "r1", .stepStarted(.flashFull, attempt: 1), at: clock.now))
        await state.apply(event(1, "r1", .imageStarted(.flashFull, image: "ap", name: "ap.bin", bytes: 100), at: clock.now))
        await state.apply(event(1, "r1", .progress(.flashFull, done: 50, total: 200), at: clock.now))
        var t = try #require(await tile(state, 1))
        #expect(t.state == .flashing && t.activity == "ap" && t.done == 50 && t.total == 200)
        await state.apply(event(1, "r1", .stepStarted(.waitRunning, attempt: 1), at: clock.now))
        #expect(await tile(state, 1)?.state == .rebooting)
        await state.apply(event(1, "r1", .stepStarted(.qa, attempt: 2), at: clock.now))
        t = try #require(await tile(state, 1))
        #expect(t.state == .qa && t.activity == "attempt 2" && t.done == nil)
        await state.apply(event(1, "r1", .check(CheckRecord(name: "http_get", passed: false, durationMs: 10,
                                                            failureClass: FailureClass(rawValue: "no_network_attach"))),
                                at: clock.now))
        #expect(await tile(state, 1)?.activity == "check http_get FAIL")
        await state.apply(event(1, "r1", .stepStarted(.bootCheck, attempt: 1), at: clock.now))
        #expect(await tile(state, 1)?.state == .bootCheck)
        await state.apply(event(1, "r1", .operatorAction(.enterDownloadMode, prompt: "hold BOOT"), at: clock.now))
        #expect(await tile(state, 1)?.state == .waitingOperator)
        clock.advance(42)
        await state.apply(event(1, "r1", .verdict(.fail, failureClass: FailureClass(rawValue: "no_network_attach"),
                                                  step: .qa, detail: "no attach"), at: clock.now))
        t = try #require(await tile(state, 1))
        #expect(t.state == .fail && t.failureClass == "no_network_attach" && t.step == nil)
        #expect(t.decidedAt.flatMap { d in t.since.map { d - $0 } } == 42_000)
        await state.identify(runID: "r1", imei: "860000000000001")
        #expect(await tile(state, 1)?.imei == "860000000000001")
        #expect(await state.counters().recent.first?.imei == "860000000000001")
    }

    @Test func countersYieldParetoAndBoardsPerHour() async throws {
        let clock = Clock()
        let state = ConsoleState(title: "t", station: "s1", actions: false, now: { clock.now })
        let outcomes: [(RunStatus, String?)] = [(.pass, nil), (.fail, "content_mismatch"), (.fail, "no_network_attach"),
                                                (.fail, "no_network_attach"), (.pass, nil), (.interrupted, "interrupted")]
        for (n, outcome) in outcomes.enumerated() {
            clock.advance(600)  // one board every ten minutes: 6 per hour over the batch
            await state.apply(event(n % 2 + 1, "r\(n)", .runStarted, at: clock.now))
            await state.apply(event(n % 2 + 1, "r\(n)", .verdict(outcome.0, failureClass: outcome.1.map { FailureClass(rawValue: $0) },
                                                                step: nil, detail: nil), at: clock.now))
        }
        let c = await state.counters()
        #expect(c.boards == 6 && c.passed == 2 && c.failed == 3 && c.other == 1)
        #expect(abs((c.yield ?? 0) - 40) < 0.001)
        #expect(c.pareto.map(\.failureClass) == ["no_network_attach", "content_mismatch"])
        #expect(c.pareto.map(\.count) == [2, 1])
        #expect(abs(c.perHourBatch - 6) < 0.001)
        // Only the last board falls in the last ten minutes.
        #expect(abs(c.perHourNow - 6) < 0.001)
        #expect(c.recent.first?.runID == "r5")
        clock.advance(601)
        #expect(await state.counters().perHourNow == 0)
    }

    @Test func aHeldSlotFinishesItsBoardThenReadsHeldUntilReleased() async throws {
        let clock = Clock()
        let state = ConsoleState(title: "t", station: "s1", actions: true, now: { clock.now })
        await state.apply(event(3, "r1", .runStarted, at: clock.now))
        await state.apply(event(3, "r1", .stepStarted(.qa, attempt: 1), at: clock.now))
        await state.setHeld(slot: "99-3", true)
        var t = try #require(await tile(state, 3))
        #expect(t.state == .qa && t.held, "the board in flight goes on")
        await state.apply(event(3, "r1", .verdict(.pass, failureClass: nil, step: nil, detail: nil), at: clock.now))
        t = try #require(await tile(state, 3))
        #expect(t.state == .held && t.lastResult == "pass")
        await state.setHeld(slot: "99-3", false)
        #expect(await tile(state, 3)?.state == .pass, "released, the tile shows the last verdict again")
        await state.setScannedLabel(slot: "99-3", "SN-0042")
        #expect(await tile(state, 3)?.scannedLabel == "SN-0042")
    }

    @Test func updatesCarryOnlyWhatChanged() async throws {
        let clock = Clock()
        let state = ConsoleState(title: "t", station: "s1", actions: true, now: { clock.now })
        for slot in 1...3 { await state.apply(event(slot, "r\(slot)", .runStarted, at: clock.now)) }
        let first = try #require(await state.takeUpdate())
        #expect(first.tiles.map(\.slot) == ["99-1", "99-2", "99-3"])
        #expect(await state.takeUpdate() == nil)
        await state.apply(event(2, "r2", .progress(.flashFull, done: 10, total: 1000), at: clock.now))
        #expect(try #require(await state.takeUpdate()).tiles.map(\.slot) == ["99-2"])
        // The same whole percent: nothing to push.
        await state.apply(event(2, "r2", .progress(.flashFull, done: 15, total: 1000), at: clock.now))
        #expect(await state.takeUpdate() == nil)
        #expect(await state.takeStoreChanges().map(\.slot) == ["99-1", "99-2", "99-3"])
        #expect(await state.takeStoreChanges().isEmpty)
        await state.apply(event(1, "r1", .verdict(.pass, failureClass: nil, step: nil, detail: nil), at: clock.now))
        let decided = try #require(await state.takeUpdate())
        #expect(decided.tiles.map(\.slot) == ["99-1"])
        #expect(decided.counters?.passed == 1)
        #expect(await state.eventsApplied == 6)
    }
}
