import Hotplug
import Synchronization

/// The station floor: routes the watcher's reports to their slots and starts a board's run
/// when a board arrives in a free slot. A slot whose run ended takes no new board until its
/// board has left (the operator swaps it), so a finished board is never flashed twice — also
/// when its app resets it: a board back on the bus within `swapSettle` of leaving is the same
/// board re-enumerating (a reset takes about a second), not a new one.
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
    /// How long a finished board must stay off the bus before its slot takes a board again.
    public var swapSettle: Duration
    /// The station's clock (replaceable in tests).
    public var now: @Sendable () -> ContinuousClock.Instant
    /// What the floor decided, for the operator's display.
    public var onEvent: @Sendable (Event) -> Void
    /// Whether the operator lets the slot take a board now (not held, intake not stopped).
    public var mayStart: @Sendable (Slot) async -> Bool = { _ in true }

    public enum Event: Sendable, Equatable {
        /// A board's run started in the slot.
        case started(Slot)
        /// The slot's run is over; the slot waits for its board to be swapped.
        case finished(Slot)
        /// The finished board left its slot.
        case left(Slot)
        /// A board is in a slot whose finished board was not swapped (it is back too soon, or
        /// never left): nothing starts until it is removed.
        case held(Slot)
        /// A device with a board's ID but neither of its shapes is in the slot (the watcher's
        /// message says what was seen and expected): nothing starts on it.
        case unknownShape(Slot, message: String)
        /// A board is ready in a free slot but no more boards may start (the budget is spent, the
        /// station is stopping, its pool is empty): it waits. Once per board.
        case refused(Slot)
    }

    /// A reset re-enumerates in about a second (kernel tier, hil-check); an operator's swap
    /// takes longer.
    public static let defaultSwapSettle: Duration = .seconds(3)

    public init(accepts: @escaping @Sendable (Slot) -> Bool, isReady: @escaping @Sendable (SlotReport) -> Bool,
                claim: @escaping @Sendable () -> Bool, hasBudget: @escaping @Sendable () -> Bool,
                swapSettle: Duration = Self.defaultSwapSettle,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
                onEvent: @escaping @Sendable (Event) -> Void = { _ in },
                runBoard: @escaping @Sendable (SlotDevices) async -> Void) {
        self.accepts = accepts
        self.isReady = isReady
        self.claim = claim
        self.hasBudget = hasBudget
        self.swapSettle = swapSettle
        self.now = now
        self.onEvent = onEvent
        self.runBoard = runBoard
    }

    private enum Input: Sendable {
        case report(SlotReport)
        case finished(PhysicalPath)
        case sourceEnded
        /// The operator changed something (a release, the intake stopped): look at the slots again.
        case recheck
    }

    /// Runs until the budget is spent and no board is in flight, the reports end (then the
    /// boards in flight finish first), or the task is cancelled (boards in flight are cancelled
    /// and record themselves as interrupted).
    public func run<Reports: AsyncSequence & Sendable>(_ reports: Reports,
                                                       rechecks: AsyncStream<Void>? = nil) async where Reports.Element == SlotReport {
        let (inputs, sink) = AsyncStream.makeStream(of: Input.self)
        let feeder = Task {
            do {
                for try await report in reports { sink.yield(.report(report)) }
            } catch {}
            sink.yield(.sourceEnded)
        }
        let rechecker = Task {
            guard let rechecks else { return }
            for await _ in rechecks { sink.yield(.recheck) }
        }
        let inFlight = Mutex<[PhysicalPath: Task<Void, Never>]>([:])
        // Slots whose waiting board was already told it waits.
        let refused = Mutex<Set<PhysicalPath>>([])
        /// Starts a board's run in the slot when it is free, ready, let start and in the budget.
        @Sendable func start(_ report: SlotReport, _ devices: SlotDevices) async {
            let slot = report.slot
            let busy = inFlight.withLock { $0[slot.path] != nil }
            guard !busy, isReady(report), await mayStart(slot) else { return }
            guard claim() else {
                if refused.withLock({ $0.insert(slot.path).inserted }) { onEvent(.refused(slot)) }
                return
            }
            onEvent(.started(slot))
            let run = Task {
                await runBoard(devices)
                sink.yield(.finished(slot.path))
            }
            inFlight.withLock { $0[slot.path] = run }
        }
        await withTaskCancellationHandler {
            var slots: [PhysicalPath: SlotDevices] = [:]
            // Each slot's latest report, for a recheck.
            var latest: [PhysicalPath: SlotReport] = [:]
            // Slots whose finished board has not been swapped yet, with when it left the bus (nil: still there).
            var awaitingRemoval: [PhysicalPath: ContinuousClock.Instant?] = [:]
            var sourceEnded = false
            for await input in inputs {
                switch input {
                case .report(let report):
                    let slot = report.slot
                    guard accepts(slot) else { continue }
                    let devices = slots[slot.path] ?? SlotDevices(slot: slot)
                    slots[slot.path] = devices
                    latest[slot.path] = report
                    await devices.update(report)
                    if case .unknownShape(let board) = report { onEvent(.unknownShape(slot, message: board.message)) }
                    if report.isGone { _ = refused.withLock { $0.remove(slot.path) } }
                    if let waiting = awaitingRemoval[slot.path] {
                        if report.isGone {
                            awaitingRemoval[slot.path] = .some(now())
                            onEvent(.left(slot))
                            continue
                        }
                        // Back on the bus: after a swap's pause a new board, else the old one resetting.
                        guard let left = waiting, now() - left >= swapSettle else {
                            if waiting != nil, isReady(report) { onEvent(.held(slot)) }
                            awaitingRemoval[slot.path] = .some(nil)
                            continue
                        }
                        awaitingRemoval[slot.path] = nil
                    }
                    await start(report, devices)
                case .recheck:
                    for (path, report) in latest where awaitingRemoval[path] == nil {
                        if let devices = slots[path] { await start(report, devices) }
                    }
                case .finished(let path):
                    inFlight.withLock { $0[path] = nil }
                    let empty = await slots[path]?.isEmpty ?? true
                    awaitingRemoval[path] = .some(empty ? now() : nil)
                    if let slot = slots[path]?.slot { onEvent(.finished(slot)) }
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
        // Cancelled (Ctrl-C): the stream stops delivering, so the boards in flight are waited
        // for here — each records itself as interrupted before the station closes its store.
        let remaining = inFlight.withLock { Array($0.values) }
        for run in remaining {
            run.cancel()
            await run.value
        }
        feeder.cancel()
        rechecker.cancel()
        sink.finish()
    }
}
