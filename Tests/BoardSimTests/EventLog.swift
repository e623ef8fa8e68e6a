import EC618
import Foundation

/// Collects flash events from the flasher's callback, with the time each arrived.
// @unchecked: `events` is only touched under `lock`.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(FlashEvent, ContinuousClock.Instant)] = []

    func add(_ event: FlashEvent) { lock.withLock { events.append((event, .now)) } }
    var all: [FlashEvent] { lock.withLock { events.map(\.0) } }

    /// When the last event that shows progress (not a retry) arrived.
    var lastProgress: ContinuousClock.Instant? {
        lock.withLock {
            events.last { if case .retrying = $0.0 { return false } else { return true } }?.1
        }
    }
}
