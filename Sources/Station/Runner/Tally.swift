import Records
import Synchronization

/// Counts verdicts and hands out boards up to the station's budget (`--count`).
final class Tally: Sendable {
    private let state: Mutex<(claimed: Int, passed: Int, failed: Int, other: Int, stopped: Bool)>
    /// Why boards are held back although the budget is not spent (the pool is empty).
    private let held = Mutex<String?>(nil)
    private let limit: Int
    /// `--once` on real boards without a slot list: stop once no board is in flight.
    private let stopWhenIdleAfterFirst: Bool

    init(limit: Int, stopWhenIdleAfterFirst: Bool = false) {
        self.limit = limit
        self.stopWhenIdleAfterFirst = stopWhenIdleAfterFirst
        state = Mutex((0, 0, 0, 0, false))
    }

    /// Whether another board may start; takes it from the budget.
    func claim() -> Bool {
        state.withLock { s in
            guard s.claimed < limit, !s.stopped else { return false }
            s.claimed += 1
            return true
        }
    }

    /// Whether boards may still start (without taking one).
    var hasBudget: Bool {
        state.withLock { s in
            let decided = s.passed + s.failed + s.other
            return s.claimed < limit && !s.stopped && !(stopWhenIdleAfterFirst && decided > 0)
        }
    }

    /// No more boards start (the station is stopping).
    func stopClaiming() {
        state.withLock { $0.stopped = true }
    }

    /// A board that took a place in the budget did not start because `reason` (its pool is
    /// empty): its place is given back and no more boards start.
    func holdBack(_ reason: String) {
        state.withLock { s in
            s.claimed = max(0, s.claimed - 1)
            s.stopped = true
        }
        held.withLock { $0 = $0 ?? reason }
    }

    /// Why boards wait, if they were held back.
    var heldBackReason: String? { held.withLock { $0 } }

    func record(_ status: RunStatus) {
        state.withLock { s in
            switch status {
            case .pass: s.passed += 1
            case .fail: s.failed += 1
            case .interrupted, .running: s.other += 1
            }
        }
    }

    var counts: (passed: Int, failed: Int, other: Int) { state.withLock { ($0.passed, $0.failed, $0.other) } }
}
