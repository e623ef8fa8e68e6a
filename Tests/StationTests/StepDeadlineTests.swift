import Foundation
import Records
import Station
import Testing
import Vocabulary

/// Deadlines on an injected clock: a step's deadline fails a hung board when the clock passes
/// it, with no real waiting; the driver sees the step's deadline, and its own waits stop just
/// before it so it can say why.
struct StepDeadlineTests {
    private func pipeline(clock: any StationClock, store: any ResultsStore) -> SlotPipeline {
        var settings = PipelineSettings(deadlines: [.waitRunning: .seconds(90)], batch: "clock", stationID: "st")
        settings.flow = [.enterDownloadMode, .waitRunning]
        settings.clock = clock
        return SlotPipeline(slotLabel: "A1", settings: settings, store: store, emit: { _ in })
    }

    @Test func aHungStepFailsWhenTheInjectedClockPassesItsDeadline() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await StoreURL.open("sqlite:" + folder.appendingPathComponent("r.sqlite").path)
        try await store.ensureBatch(BatchInfo(name: "clock"))
        let clock = ManualStationClock()
        let started = clock.now
        let board = ScriptedBoard(slotPath: "1-1.1", behaviours: [.waitRunning: .hang])
        let run = Task { try await pipeline(clock: clock, store: store).run(board) }
        // The step is asleep on its 90 s deadline; 89 s pass and nothing is decided.
        while clock.sleeperCount == 0 || board.calls.withLock({ !$0.contains(.waitRunning) }) { await Task.yield() }
        clock.advance(by: .seconds(89))
        for _ in 0..<100 { await Task.yield() }
        #expect(board.calls.withLock { $0 } == [.enterDownloadMode, .waitRunning])
        clock.advance(by: .seconds(1))
        let outcome = try await run.value
        #expect(outcome.failureClass == FailureClass.timeout)
        #expect(outcome.failedStep == .waitRunning)
        // The board saw the step's deadline: 90 s on the injected clock from when the step began.
        let seen = try #require(board.deadlines.withLock { $0[.waitRunning] })
        #expect(seen - started == .seconds(90))
        await store.close()
    }

    @Test func aDriversWaitEndsJustBeforeItsStepAndNeverAfterItsOwnLimit() {
        let end = ContinuousClock.now + .seconds(30)
        StepDeadline.$current.withValue(end) {
            #expect(StepDeadline.until() == end - StepDeadline.explainMargin)
            let short = StepDeadline.until(atMost: .seconds(2))
            #expect(short < end - .seconds(27))
        }
        // Outside any step, a driver still never waits forever.
        #expect(StepDeadline.until() <= .now + StepDeadline.outsideAStep)
    }
}
