import Synchronization
import Vocabulary

/// Runs `body` with a deadline. When the deadline passes first, `body`'s task is cancelled and
/// `StepFailure(timeout)` is thrown at once — without waiting for a body that ignores
/// cancellation, so a hung board can never hang its slot's pipeline.
/// `body` (and the driver it calls) sees the deadline as `StepDeadline.current`.
func withDeadline<T: Sendable>(_ limit: Duration, step: StationStep, clock: any StationClock = SystemStationClock(),
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let end = clock.now + limit
    let gate = ResumeOnce<T>()
    let work = Mutex<Task<Void, Never>?>(nil)
    let timer = Mutex<Task<Void, Never>?>(nil)
    // The timer must not outlive a step that finished in time.
    defer { timer.withLock { $0?.cancel() } }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            gate.install(continuation)
            let task = Task {
                do {
                    let value = try await StepDeadline.$current.withValue(end) { try await body() }
                    gate.resume(with: .success(value))
                } catch { gate.resume(with: .failure(error)) }
            }
            work.withLock { $0 = task }
            // Cancelled (Ctrl-C) before the step even started: it must not go on unobserved.
            if gate.isDecided { task.cancel() }
            let deadline = Task {
                guard (try? await clock.sleep(until: end)) != nil else { return }
                if gate.resume(with: .failure(StepFailure(
                    failureClass: FailureClass.timeout,
                    detail: "\(step.rawValue) did not finish within \(limit.secondsText)"))) {
                    task.cancel()
                }
            }
            timer.withLock { $0 = deadline }
        }
    } onCancel: {
        // The station is stopping (Ctrl-C): give up on the step at once.
        if gate.resume(with: .failure(CancellationError())) { work.withLock { $0?.cancel() } }
    }
}

/// Resumes a continuation exactly once, whichever side gets there first — also when a side
/// (cancellation) gets there before the continuation is installed.
private final class ResumeOnce<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, Error>?
        var early: Result<T, Error>?
        var done = false
    }

    private let state = Mutex(State())

    func install(_ c: CheckedContinuation<T, Error>) {
        let early: Result<T, Error>? = state.withLock { s in
            if let early = s.early { s.early = nil; return early }
            s.continuation = c
            return nil
        }
        if let early { c.resume(with: early) }
    }

    /// Whether a result was already given (the step's fate is decided).
    var isDecided: Bool { state.withLock { $0.done || $0.early != nil } }

    /// Returns whether this call was the one that decided the result.
    @discardableResult
    func resume(with result: Result<T, Error>) -> Bool {
        let (decided, continuation): (Bool, CheckedContinuation<T, Error>?) = state.withLock { s in
            guard !s.done else { return (false, nil) }
            s.done = true
            guard let c = s.continuation else {
                s.early = result
                return (true, nil)
            }
            s.continuation = nil
            return (true, c)
        }
        continuation?.resume(with: result)
        return decided
    }
}

extension Duration {
    var secondsText: String {
        let (s, atto) = components
        let value = Double(s) + Double(atto) / 1e18
        return value >= 1 ? String(format: "%.0f s", value) : String(format: "%.0f ms", value * 1000)
    }
}
