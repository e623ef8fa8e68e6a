import Foundation
import Hotplug
import Links
import SimulatedLine
import Station
import Synchronization
import Testing

/// A slot whose next board shows up "too soon" after the last one left is held until the board is
/// taken out again. On a busy machine the station can read a swap's two ends closer together than
/// they happened; the simulated operator then does what the station asks (takes the board out and
/// puts it back), so the slot goes on instead of waiting for ever (seen as stalled slots in the
/// lossy-link tier's starved guest).
@Suite(.serialized) struct HeldSlotTests {
    /// The simulated line, with the "board gone" report of the first swap handed on `lateBy`
    /// late, as a starved station would read it.
    final class LateGoneSource: BoardSource {
        let inner: SimulatedFixture
        let lateBy: Duration
        /// Before the first swap, armed by it, done once its report was held back.
        enum Swap { case before, armed, done }
        let swap = Mutex(Swap.before)
        let heldCalls = Mutex(0)
        init(_ inner: SimulatedFixture, lateBy: Duration) {
            self.inner = inner
            self.lateBy = lateBy
        }
        var ports: any BoardPorts { inner.ports }
        var swapSettle: Duration { inner.swapSettle }
        var swapsBoards: Bool { inner.swapsBoards }
        func finished(_ slot: Slot) async {
            swap.withLock { if $0 == .before { $0 = .armed } }
            await inner.finished(slot)
        }
        func held(_ slot: Slot) async {
            heldCalls.withLock { $0 += 1 }
            await inner.held(slot)
        }
        func close() async { await inner.close() }
        func reports() throws -> AsyncThrowingStream<SlotReport, Error> {
            let upstream = try inner.reports()
            let (stream, sink) = AsyncThrowingStream.makeStream(of: SlotReport.self)
            let lateBy = lateBy
            let pump = Task { [self] in
                do {
                    for try await report in upstream {
                        if case .gone = report, swap.withLock({ state in
                            defer { if state == .armed { state = .done } }
                            return state == .armed
                        }) {
                            try? await Task.sleep(for: lateBy)
                        }
                        sink.yield(report)
                    }
                    sink.finish()
                } catch {
                    sink.finish(throwing: error)
                }
            }
            sink.onTermination = { _ in pump.cancel() }
            return stream
        }
    }

    @Test func aSwapReadLateIsHeldThenTakenOutAndTheSlotGoesOn() async throws {
        let rig = try StationRunnerTests.Rig.make()
        defer { rig.remove() }
        let fixture = rig.fixture(slots: 1)
        // Late by more than the margin between the simulated swap and the station's settle time,
        // so the next board arrives "too soon" as the station reads it.
        let late = fixture.swapPause - fixture.swapSettle + .milliseconds(300)
        let source = LateGoneSource(fixture, lateBy: late)
        let seen = StationRunnerTests.Seen()
        // A slot that waits for ever would hang the test: a stop ends it well after the boards
        // should be done, and the count says whether they were.
        let stop = StationStop()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(180))
            stop.raise()
        }
        defer { watchdog.cancel() }
        let summary = try await StationRunner(configuration: rig.configuration(limit: 3), observer: seen)
            .run(boards: source, stop: stop)
        let notes = seen.notes.withLock { $0 }
        #expect(notes.contains { $0.contains("the finished board is back") }, "the late report made a held slot: \(notes)")
        #expect(source.heldCalls.withLock { $0 } >= 1)
        #expect(summary.passed == 3 && summary.other == 0, "\(summary); notes: \(notes)")
        let runs = try await rig.runs()
        #expect(Set(runs.compactMap(\.imei)).count == 3, "three distinct boards, none flashed twice: \(runs.map(\.imei))")
    }
}
