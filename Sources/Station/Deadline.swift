import Synchronization

/// Runs `body` with a deadline. When the deadline passes first, `body`'s task is cancelled and
/// `StepFailure(timeout)` is thrown at once — without waiting for a body that ignores
/// cancellation, so a hung board can never hang its slot's pipeline.
func withDeadline<T: Sendable>(_ limit: Duration, step: StationStep,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let gate = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { continuation in
        gate.install(continuation)
        let work = Task {
            do { gate.resume(with: .success(try await body())) } catch { gate.resume(with: .failure(error)) }
        }
        Task {
            try? await Task.sleep(for: limit)
            guard !work.isCancelled else { return }
            if gate.resume(with: .failure(StepFailure(
                failureClass: StepFailure.timeoutClass,
                detail: "\(step.rawValue) did not finish within \(limit.secondsText)"))) {
                work.cancel()
            }
        }
    }
}

/// Resumes a continuation exactly once, whichever side gets there first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, Error>?, done: Bool)>((nil, false))

    func install(_ c: CheckedContinuation<T, Error>) {
        state.withLock { $0.continuation = c }
    }

    /// Returns whether this call was the one that resumed.
    @discardableResult
    func resume(with result: Result<T, Error>) -> Bool {
        let continuation: CheckedContinuation<T, Error>? = state.withLock { s in
            guard !s.done else { return nil }
            s.done = true
            defer { s.continuation = nil }
            return s.continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }
}

extension Duration {
    var secondsText: String {
        let (s, atto) = components
        let value = Double(s) + Double(atto) / 1e18
        return value >= 1 ? String(format: "%.0f s", value) : String(format: "%.0f ms", value * 1000)
    }
}
