import BoardSim
import Firmware
import Foundation
import Hotplug
import Links
import Station
import Synchronization

/// A fixture of simulated boards: each slot holds a whole simulated Air780E (download mode,
/// reset, running ports, boot entry) on a memory or pseudo-terminal bus, announced as the watcher
/// would announce a real one. When the station is done with a board, the simulated operator
/// takes it out and seats the next (slot N gets boards N, N + slots, N + 2 × slots, …), so the
/// station drives simulated boards with the same driver, dispatcher and swap rules as real ones.
public final class SimulatedFixture: BoardSource {
    /// What the boards sit on.
    public enum Bus: String, Sendable, CaseIterable {
        /// In-memory ports: fast, any number of boards.
        case memory
        /// Pseudo-terminals that change shape like USB ttys.
        case pty
    }

    /// What every simulated board of the fixture is like.
    public struct BoardModel: Sendable {
        /// Where the LuaDB sits in AP flash (the `.soc`'s script partition).
        public var scriptPartition: ScriptPartition
        /// The flash plan's size, where `unplug-mid-flash` pulls the board (half of it).
        public var planBytes: Int
        /// Every phase's figure (flash, re-enumeration, boot, attach, the 4G link), applied to
        /// every board of the fixture on either bus.
        public var timing: SimTiming = .fast
        /// Simulated 4G attach time (the timing's figure).
        public var attachDelay: Duration {
            get { timing.attach }
            set { timing.attach = newValue }
        }
        public var network = SimulatedNetwork()
        /// Faults by board number.
        public var faults: [Int: Set<SimulatedBoardFault>] = [:]
        /// Who boards are and what they run, by board number, where it differs from the default
        /// (a board with a bad IMEI, no SIM, another firmware version, lost calibration).
        public var variants: [Int: BoardVariant] = [:]
        /// Faults drawn per board (`--sim-faults random:SEED:RATE`) and the full flash they act on.
        public var randomFaults: (plan: RandomFaultPlan, session: RandomFaultPlan.Session)?

        /// Board `number`'s drawn fault, if the random plan gave it one.
        public func drawnFault(board number: Int) -> DrawnFault? {
            randomFaults.flatMap { $0.plan.fault(board: number, session: $0.session) }
        }

        public init(scriptPartition: ScriptPartition, planBytes: Int) {
            self.scriptPartition = scriptPartition
            self.planBytes = planBytes
        }
    }

    /// One board's differences from the fixture's default board.
    public struct BoardVariant: Sendable, Equatable {
        /// Replaces `RuntimeIdentity.simulated(number)`.
        public var identity: RuntimeIdentity?
        /// What `rtos.version()` answers (default "V1112").
        public var firmwareVersion: String?
        /// Compile-time options of its build (`RuntimeSettings.buildOptions`).
        public var buildOptions: Set<String> = []

        public init(identity: RuntimeIdentity? = nil, firmwareVersion: String? = nil, buildOptions: Set<String> = []) {
            self.identity = identity
            self.firmwareVersion = firmwareVersion
            self.buildOptions = buildOptions
        }
    }

    /// The pretend USB bus number of simulated slots (their paths read `99-N`).
    public static let bus = 99
    /// How long the simulated operator takes to swap a board: longer than `swapSettle`, so the
    /// next board counts as a new one.
    public var swapPause: Duration { Self.swapPause(for: model.timing) }
    /// The swap pause under `timing` (a line forecast counts it per board).
    public static func swapPause(for timing: SimTiming) -> Duration { swapSettle(for: timing) + .milliseconds(200) }

    public let slots: Int
    public let model: BoardModel
    public let busKind: Bus
    public var ports: any BoardPorts { memoryPorts.map { $0 as any BoardPorts } ?? SystemBoardPorts() }
    /// A reset keeps a simulated board off the bus for `DeviceSideBoard.Settings.offBus` (300 ms
    /// fast, the re-enumeration figures when realistic); a swap takes `swapPause`.
    public var swapSettle: Duration { Self.swapSettle(for: model.timing) }
    /// Longer than any re-enumeration under `timing`, so a board resetting is never taken for a new one.
    static func swapSettle(for timing: SimTiming) -> Duration {
        max(.milliseconds(500), timing.reEnumerateAfterReset + .milliseconds(200),
            timing.reEnumerateAfterBootEntry + .milliseconds(200))
    }
    public var swapsBoards: Bool { true }

    private let memoryPorts: MemoryBoardPorts?
    private let sandbox: String
    private let stream: AsyncThrowingStream<SlotReport, Error>
    private let sink: AsyncThrowingStream<SlotReport, Error>.Continuation
    /// Each slot's board: its number and the task running its life.
    private let seated = Mutex<[Int: (number: Int, life: Task<Void, Never>)]>([:])
    private let closed = Mutex(false)
    /// Positions whose held board is being taken out and put back (one swap at a time).
    private let reseating = Mutex<Set<Int>>([])

    public init(slots: Int, model: BoardModel, bus: Bus = .memory) {
        self.slots = slots
        self.model = model
        busKind = bus
        memoryPorts = bus == .memory ? MemoryBoardPorts() : nil
        sandbox = NSTemporaryDirectory() + "provision-sim-\(getpid())-\(UUID().uuidString.prefix(8))"
        (stream, sink) = AsyncThrowingStream.makeStream(of: SlotReport.self)
    }

    public func slot(_ number: Int) -> Slot {
        Slot(path: PhysicalPath(bus: Self.bus, ports: [number])!, label: "slot\(number)")
    }

    /// Seats board 1…slots; the reports start with their first shapes.
    public func reports() throws -> AsyncThrowingStream<SlotReport, Error> {
        for number in 1...slots { seat(board: number, in: number) }
        return stream
    }

    public func finished(_ slot: Slot) async {
        guard let position = slot.path.ports.last, position >= 1, position <= slots,
              let current = seated.withLock({ $0[position] }) else { return }
        // Not awaited: the station records the slot's end before the board leaves, as on a line.
        Task { await swap(in: position, out: current.life, next: current.number + slots) }
    }

    /// Takes the board out and seats board `next` a swap's pause after it left: the next
    /// board's own enumeration (seated with BOOT held) is part of the operator's swap.
    private func swap(in position: Int, out life: Task<Void, Never>, next: Int) async {
        life.cancel()
        await life.value
        try? await Task.sleep(for: max(.zero, swapPause - model.timing.enumeration(of: .download)))
        if !closed.withLock({ $0 }) { seat(board: next, in: position) }
    }

    /// The simulated operator does what the station asks of a held slot: takes the board out
    /// and puts it back after a swap's pause, so it counts as a new board. A busy machine can see
    /// a swap's two ends closer than they were (the station reads the reports late), and without
    /// this the slot would wait for ever. The board keeps its number: the station never ran it.
    public func held(_ slot: Slot) async {
        guard let position = slot.path.ports.last, position >= 1, position <= slots,
              let current = seated.withLock({ $0[position] }),
              reseating.withLock({ $0.insert(position).inserted }) else { return }
        await swap(in: position, out: current.life, next: current.number)
        _ = reseating.withLock { $0.remove(position) }
    }

    public func close() async {
        closed.withLock { $0 = true }
        let lives = seated.withLock { s in Array(s.values.map(\.life)) }
        lives.forEach { $0.cancel() }
        for life in lives { await life.value }
        sink.finish()
        try? FileManager.default.removeItem(atPath: sandbox)
    }

    /// The settings of board `number` (its identity, faults and sandbox follow from the number).
    public func settings(board number: Int) -> DeviceSideBoard.Settings {
        let drawn = model.drawnFault(board: number)
        var faults = model.faults[number] ?? []
        if case .board(let kind) = drawn { faults.insert(kind) }
        var runtime = RuntimeSettings(sandboxDirectory: sandbox + "/board-\(number)")
        runtime.attachDelay = model.timing.attach
        runtime.cellLink = model.timing.cellLink
        runtime.faults = faults.networkFaults
        if case .network(_, let network, _) = drawn { runtime.faults = network }
        runtime.network = model.network
        runtime.firmwareBuild = FirmwareBuild(scriptRegionBytes: model.scriptPartition.capacity)
        let variant = model.variants[number]
        if let version = variant?.firmwareVersion { runtime.firmwareVersion = version }
        runtime.buildOptions = variant?.buildOptions ?? []
        var device = DeviceSideBoard.Settings(identity: variant?.identity ?? .simulated(number), runtime: runtime,
                                              scriptPartition: model.scriptPartition)
        device.timing = model.timing
        device.faults = faults.flashFaults(planBytes: model.planBytes)
        if case .session(_, let plan) = drawn { device.faults = plan }
        device.bootEntry = faults.bootEntryResponse
        return device
    }

    private func seat(board number: Int, in position: Int) {
        let slot = self.slot(position)
        let sink = self.sink
        let announce: @Sendable (BusShape) async -> Void = { shape in sink.yield(shape.report(for: slot)) }
        let bus: any BoardBus = memoryPorts.map { MemoryBus(name: "slot\(position)-board\(number)", ports: $0, onShape: announce) }
            ?? PseudoTerminalBus(onShape: announce)
        let board = DeviceSideBoard(bus: bus, settings: settings(board: number))
        let life = Task { await board.run(from: .download) }
        seated.withLock { $0[position] = (number, life) }
    }
}
