import Foundation
import Hotplug

/// What the bus shows at one slot, kept current by the station's watcher, and waited on by the
/// board driver: "the board came back running on the same physical path", "it left".
public actor SlotDevices {
    public nonisolated let slot: Slot
    /// The latest report for the slot; nil before the first one.
    public private(set) var current: SlotReport?
    /// How often the board has left the bus (unplugged, or resetting into another shape).
    public private(set) var departures = 0
    private var waiters: [UUID: Waiter] = [:]

    private struct Waiter {
        let match: @Sendable (SlotReport) -> Bool
        /// Only reports after more than this many departures count (nil: any).
        let afterDepartures: Int?
        let continuation: CheckedContinuation<SlotReport?, Never>
    }

    public init(slot: Slot) {
        self.slot = slot
    }

    /// A new report from the watcher.
    public func update(_ report: SlotReport) {
        current = report
        if report.isGone { departures += 1 }
        for (id, waiter) in waiters where waiter.match(report) && (waiter.afterDepartures.map { departures > $0 } ?? true) {
            waiters[id] = nil
            waiter.continuation.resume(returning: report)
        }
    }

    /// Whether the slot is empty now.
    public var isEmpty: Bool {
        if case .gone = current { return true }
        return current == nil
    }

    /// The current report if it matches, else the first later one that does; nil when the
    /// deadline passes or the waiting task is cancelled first.
    public func wait(until deadline: ContinuousClock.Instant, afterDepartures: Int? = nil,
                     for match: @escaping @Sendable (SlotReport) -> Bool) async -> SlotReport? {
        if let current, match(current), afterDepartures.map({ departures > $0 }) ?? true { return current }
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.give(up: id)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || ContinuousClock.now >= deadline {
                    continuation.resume(returning: nil)
                } else {
                    waiters[id] = Waiter(match: match, afterDepartures: afterDepartures, continuation: continuation)
                }
            }
        } onCancel: {
            Task { await self.give(up: id) }
        }
    }

    private func give(up id: UUID) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }
}

extension SlotReport {
    /// Whether the pipeline can start on the board this report shows: in download mode with
    /// what `link` needs, or running with its x.2 and x.6 ports (never an unknown shape).
    public func isReady(for link: BoardLinkKind) -> Bool {
        downloadBoard(usable: link) != nil || runningBoard != nil
    }

    /// A download-mode board the flasher can use over `link`.
    func downloadBoard(usable link: BoardLinkKind) -> DownloadBoard? {
        guard case .download(let board) = self else { return nil }
        switch link {
        case .tty: return board.port == nil ? nil : board
        case .usb: return board.usbDevnode == nil ? nil : board
        }
    }

    /// A running board whose x.2 and x.6 ports exist (x.4, the chip trace, is not needed).
    var runningBoard: RunningBoard? {
        guard case .running(let board) = self, board.ports[.socLog] != nil, board.ports[.vuart] != nil else { return nil }
        return board
    }

    var isGone: Bool {
        if case .gone = self { return true }
        return false
    }

    var isDownload: Bool {
        if case .download = self { return true }
        return false
    }
}
