import Hotplug
import Synchronization

/// The station floor: routes the watcher's reports to their slots and starts a board's run
/// when a board arrives in a free slot. A slot whose run ended takes no new board until its
/// board has left (the operator swaps it), so a finished board is never flashed twice.
public struct SlotDispatcher: Sendable {
    /// Whether a slot belongs to this station (`--slots`, station.toml); others are ignored.
    public var accepts: @Sendable (Slot) -> Bool
    /// Whether a report shows a board the pipeline can start on.
    public var isReady: @Sendable (SlotReport) -> Bool
    /// Takes one board from the budget (`--count`); false when it is spent or the station stops.
    public var claim: @Sendable () -> Bool
    /// Whether more boards may still start (without taking one).
    public var hasBudget: @Sendable () -> Bool
    /// Runs one board's pipeline and records it.
    public var runBoard: @Sendable (SlotDevices) async -> Void

    public init(accepts: @escaping @Sendable (Slot) -> Bool, isReady: @escaping @Sendable (SlotReport) -> Bool,
                claim: @escaping @Sendable () -> Bool, hasBudget: @escaping @Sendable () -> Bool,
                runBoard: @escaping @Sendable (SlotDevices) async -> Void) {
        self.accepts = accepts
        self.isReady = isReady
        self.claim = claim
        self.hasBudget = hasBudget
        self.runBoard = runBoard
    }

    private enum Input: Sendable {
        case report(SlotReport)
        case finished(PhysicalPath)
        case sourceEnded
    }

    /// Runs until the budget is spent and no board is in flight, the reports end (then the
    /// boards in flight finish first), or the task is cancelled (boards in flight are cancelled
    /// and record themselves as interrupted).
    public func run<Reports: AsyncSequence & Sendable>(_ reports: Reports) async where Reports.Element == SlotReport {
        let (inputs, sink) = AsyncStream.makeStream(of: Input.self)
        let feeder = Task {
            do {
                for try await report in reports { sink.yield(.report(report)) }
            } catch {}
            sink.yield(.sourceEnded)
        }
        let inFlight = Mutex<[PhysicalPath: Task<Void, Never>]>([:])
        await withTaskCancellationHandler {
            var slots: [PhysicalPath: SlotDevices] = [:]
            var awaitingRemoval: Set<PhysicalPath> = []
            var sourceEnded = false
            for await input in inputs {
                switch input {
                case .report(let report):
                    let slot = report.slot
                    guard accepts(slot) else { continue }
                    let devices = slots[slot.path] ?? SlotDevices(slot: slot)
                    slots[slot.path] = devices
                    await devices.update(report)
                    if report.isGone { awaitingRemoval.remove(slot.path) }
                    let busy = inFlight.withLock { $0[slot.path] != nil }
                    guard !busy, !awaitingRemoval.contains(slot.path), isReady(report), claim() else { continue }
                    let run = Task {
                        await runBoard(devices)
                        sink.yield(.finished(slot.path))
                    }
                    inFlight.withLock { $0[slot.path] = run }
                case .finished(let path):
                    inFlight.withLock { $0[path] = nil }
                    if await !(slots[path]?.isEmpty ?? true) { awaitingRemoval.insert(path) }
                case .sourceEnded:
                    sourceEnded = true
                }
                let idle = inFlight.withLock { $0.isEmpty }
                if idle && (sourceEnded || !hasBudget() || Task.isCancelled) { break }
            }
        } onCancel: {
            inFlight.withLock { $0.values.forEach { $0.cancel() } }
            sink.yield(.sourceEnded)
        }
        feeder.cancel()
        sink.finish()
    }
}
