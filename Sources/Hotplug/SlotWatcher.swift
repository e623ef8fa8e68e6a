import Foundation
import Glibc
import Synchronization

/// How a watcher runs: where it listens, what a board looks like, what the slots are called.
public struct WatchSettings: Sendable {
    public var source: MonitorSource
    public var identity: BoardUSBIdentity
    public var labels: SlotLabels
    /// How long a half-enumerated board may take before it is reported incomplete.
    public var debounce: Duration
    /// Whether download mode waits for its tty (false for a station flashing over libusb).
    public var downloadNeedsPort = true

    public init(source: MonitorSource = .udev, identity: BoardUSBIdentity = .air780e,
                labels: SlotLabels = SlotLabels(), debounce: Duration = .seconds(3)) {
        self.source = source
        self.identity = identity
        self.labels = labels
        self.debounce = debounce
    }
}

/// Follows the station's slots through libudev: the boards present at start, then every
/// change. A thin adapter: libudev devices become `DeviceEvent`s, `SlotTracker` decides.
public enum SlotWatcher {
    /// Starts watching. The stream first yields the boards already present, then live
    /// reports; it runs until the consumer stops iterating. The monitor opens before the
    /// initial enumeration, so nothing plugged in between is missed.
    public static func reports(_ settings: WatchSettings) throws -> AsyncThrowingStream<SlotReport, Error> {
        let context = try UDevContext()
        let monitor = try UDevMonitor(context: context, source: settings.source)
        var tracker = SlotTracker(identity: settings.identity, labels: settings.labels, debounce: settings.debounce)
        tracker.downloadNeedsPort = settings.downloadNeedsPort
        let loop = WatchLoop(context: context, monitor: monitor, tracker: tracker)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SlotReport.self)
        let stop = StopFlag()
        continuation.onTermination = { _ in stop.raise() }
        let thread = Thread { loop.run(continuation, stop: stop) }
        thread.name = "provision.hotplug"
        thread.start()
        return stream
    }

    /// The boards present now, from one enumeration (no monitor, no waiting): half-enumerated
    /// boards come back marked incomplete.
    public static func present(_ settings: WatchSettings) throws -> [SlotReport] {
        let context = try UDevContext()
        var tracker = SlotTracker(identity: settings.identity, labels: settings.labels,
                                  debounce: settings.debounce)
        tracker.downloadNeedsPort = settings.downloadNeedsPort
        let now = ContinuousClock.now
        var reports: [SlotReport] = []
        for event in try initialEvents(context) {
            reports += tracker.handle(event, at: now)
        }
        reports += tracker.expire(at: now + settings.debounce)
        return reports
    }

    /// `add` events for what exists now: USB devices first, so ttys find their boards.
    static func initialEvents(_ context: UDevContext) throws -> [DeviceEvent] {
        let usb = try context.enumerate(subsystem: "usb")
        let tty = try context.enumerate(subsystem: "tty")
        return (usb + tty).compactMap { UDevTranslation.event(for: $0, action: "add") }
    }
}

extension AsyncSequence where Element == SlotReport {
    /// The first report for the slot at `path` that satisfies `match`, or nil if the sequence
    /// ended or `deadline` passed first. One-shot: it consumes the sequence (a watcher stream
    /// ends when this returns), e.g. to wait for a board to come back in download mode.
    public func first(at path: PhysicalPath, deadline: ContinuousClock.Instant,
                      where match: @escaping @Sendable (SlotReport) -> Bool) async throws -> SlotReport?
    where Self: Sendable {
        try await withThrowingTaskGroup(of: SlotReport?.self) { group in
            group.addTask {
                for try await report in self where report.slot.path == path && match(report) {
                    return report
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

/// Set once by the stream's consumer going away; read by the watcher thread between polls.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// The watcher thread's state. `@unchecked Sendable` because it is handed to its thread once
/// and touched by that thread only (libudev objects are not thread-safe).
final class WatchLoop: @unchecked Sendable {
    private let context: UDevContext
    private let monitor: UDevMonitor
    private var tracker: SlotTracker
    /// Upper bound on one poll, so a stopped consumer is noticed promptly.
    private let pollSlice: Duration = .milliseconds(100)

    init(context: UDevContext, monitor: UDevMonitor, tracker: SlotTracker) {
        self.context = context
        self.monitor = monitor
        self.tracker = tracker
    }

    func run(_ out: AsyncThrowingStream<SlotReport, Error>.Continuation, stop: StopFlag) {
        do {
            for event in try SlotWatcher.initialEvents(context) {
                tracker.handle(event, at: .now).forEach { out.yield($0) }
            }
        } catch {
            out.finish(throwing: error)
            return
        }
        while !stop.isRaised {
            var wait = pollSlice
            if let deadline = tracker.nextDeadline {
                wait = max(.zero, min(wait, deadline - .now))
            }
            var pfd = pollfd(fd: monitor.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(wait.milliseconds))
            if ready < 0 && errno != EINTR {
                out.finish(throwing: HotplugError("poll on the event monitor failed (errno \(errno))"))
                return
            }
            if ready > 0 {
                while let device = monitor.receive() {
                    guard let action = device.action,
                          let event = UDevTranslation.event(for: device, action: action) else { continue }
                    tracker.handle(event, at: .now).forEach { out.yield($0) }
                }
            }
            tracker.expire(at: .now).forEach { out.yield($0) }
        }
        out.finish()
    }
}

extension Duration {
    /// Whole milliseconds, rounded up (a poll must not wake before the deadline).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
