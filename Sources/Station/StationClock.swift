import Synchronization

/// Where the station's waits take their time from: the machine's monotonic clock on a line,
/// a clock moved by hand in tests of deadlines (no real sleeping).
public protocol StationClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Returns at `deadline`, or throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

/// The machine's monotonic clock.
public struct SystemStationClock: StationClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}

/// A clock that moves only when `advance(by:)` is called; sleepers wake when it passes their
/// deadline. For tests of deadlines, so they hold on a loaded machine and take no real time.
public final class ManualStationClock: StationClock {
    private struct Sleeper {
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, Error>
    }

    private let state: Mutex<(now: ContinuousClock.Instant, sleepers: [Int: Sleeper], next: Int)>

    public init(start: ContinuousClock.Instant = .now) {
        state = Mutex((start, [:], 0))
    }

    public var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// How many tasks sleep on this clock now (a test waits for its subject to be asleep).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func advance(by duration: Duration) {
        let woken: [CheckedContinuation<Void, Error>] = state.withLock { s in
            s.now = s.now + duration
            let due = s.sleepers.filter { $0.value.deadline <= s.now }
            for key in due.keys { s.sleepers[key] = nil }
            return due.values.map(\.continuation)
        }
        woken.forEach { $0.resume() }
    }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { s -> Int in s.next += 1; return s.next }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let resumeNow: Bool = state.withLock { s in
                    if deadline <= s.now || Task.isCancelled { return true }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }
}

/// The deadline of the step the current task works for, set by the pipeline, so a driver's own
/// waits use what is left of the step rather than timeouts of their own that would have to be
/// kept shorter than the step's by hand.
public enum StepDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?

    /// How long a driver waits when it runs outside any step (a test driving it directly).
    public static let outsideAStep: Duration = .seconds(600)

    /// How long before the step's end a driver's wait gives up, so the driver can say why (no
    /// download-mode port, no running ports) before the step's timer says only "timeout".
    public static let explainMargin: Duration = .milliseconds(250)

    /// What is left of the step's deadline (less `explainMargin`), or sooner: `.now + limit` for a
    /// wait of the driver's own that is shorter than the step (one boot-entry strategy).
    public static func until(atMost limit: Duration? = nil) -> ContinuousClock.Instant {
        let step = current.map { $0 - explainMargin } ?? .now + outsideAStep
        guard let limit else { return step }
        return min(step, .now + limit)
    }
}
