/// The slot state machine: device events in, slot reports out. Pure — no I/O, no clock of its
/// own (every call says what time it is), so the debounce rules are tested with synthetic
/// events and instants.
///
/// Rules:
/// - Only USB devices whose VID:PID is one of the board's two shapes make a slot; every other
///   device (hubs, serial adapters) and every tty below one is ignored.
/// - A board is reported once its shape is complete: download mode with its one tty, running
///   mode with a tty for every role. If the deadline (`debounce` after the USB device appeared)
///   passes first, it is reported as it is, marked incomplete; a later completion is reported
///   again.
/// - ttys may arrive before their USB device (udev does not promise the order); they are kept
///   by path until the device appears or is removed.
/// - A removal, or the same path coming back in another shape, reports the slot `gone` (only
///   if something was reported for it).
public struct SlotTracker: Sendable {
    /// How long to wait for a half-enumerated board before reporting it incomplete.
    public var debounce: Duration
    /// Whether a download-mode board is reported only once its tty exists. A station that
    /// flashes over libusb needs no tty, so it takes the board at once (the tty, if one comes,
    /// completes it in a second report).
    public var downloadNeedsPort = true
    public let identity: BoardUSBIdentity
    public let labels: SlotLabels

    private var boards: [PhysicalPath: Board] = [:]
    /// Every tty seen below a USB path: devnode → interface number.
    private var ttys: [PhysicalPath: [String: Int?]] = [:]

    private struct Board {
        var device: USBDevice
        var mode: BoardMode
        var since: ContinuousClock.Instant
        var reported: SlotReport?
    }

    public init(identity: BoardUSBIdentity = .air780e, labels: SlotLabels = SlotLabels(),
                debounce: Duration = .seconds(3)) {
        self.identity = identity
        self.labels = labels
        self.debounce = debounce
    }

    /// The earliest instant at which `expire(at:)` could report something.
    public var nextDeadline: ContinuousClock.Instant? {
        boards.values.filter { $0.reported == nil }.map { $0.since + debounce }.min()
    }

    /// The slots that currently hold a board, by path.
    public var occupied: [PhysicalPath] { boards.keys.sorted() }

    /// Applies one event; returns the reports it causes.
    public mutating func handle(_ event: DeviceEvent, at now: ContinuousClock.Instant) -> [SlotReport] {
        switch event {
        case .usbAdded(let device):
            var out: [SlotReport] = []
            guard let mode = identity.mode(of: device.id) else {
                // Something else now sits where a board was: the board is gone.
                if boards[device.path] != nil { out += removeBoard(at: device.path) }
                return out
            }
            if let known = boards[device.path] {
                if known.mode == mode && known.device.devnode == device.devnode {
                    return []  // seen twice: enumeration raced the monitor
                }
                // Came back in another shape without a removal in between: the ttys seen
                // so far were the old shape's.
                out += removeBoard(at: device.path)
                ttys[device.path] = nil
            }
            boards[device.path] = Board(device: device, mode: mode, since: now, reported: nil)
            return out + evaluate(device.path, at: now)

        case .usbRemoved(let path):
            ttys[path] = nil
            return removeBoard(at: path)

        case .ttyAdded(let path, let interface, let devnode):
            ttys[path, default: [:]][devnode] = interface
            return evaluate(path, at: now)

        case .ttyRemoved(let path, let devnode):
            ttys[path]?[devnode] = nil
            return []
        }
    }

    /// Reports every board whose debounce deadline has passed by `now`.
    public mutating func expire(at now: ContinuousClock.Instant) -> [SlotReport] {
        boards.keys.sorted().flatMap { evaluate($0, at: now) }
    }

    private mutating func removeBoard(at path: PhysicalPath) -> [SlotReport] {
        guard let board = boards.removeValue(forKey: path) else { return [] }
        return board.reported == nil ? [] : [.gone(labels.slot(at: path))]
    }

    private mutating func evaluate(_ path: PhysicalPath, at now: ContinuousClock.Instant) -> [SlotReport] {
        guard let board = boards[path] else { return [] }
        let slot = labels.slot(at: path)
        let seen = ttys[path] ?? [:]
        let overdue = now >= board.since + debounce
        let report: SlotReport
        switch board.mode {
        case .download:
            let port = seen.keys.sorted().first
            guard port != nil || overdue || !downloadNeedsPort else { return [] }
            report = .download(DownloadBoard(slot: slot, usbDevnode: board.device.devnode, port: port))
        case .running:
            var ports: [PortRole: String] = [:]
            for (devnode, interface) in seen {
                if let interface, let role = identity.runningRole(interface: interface) {
                    ports[role] = devnode
                }
            }
            let complete = Set(identity.runningRoles.values).isSubset(of: ports.keys)
            guard complete || overdue else { return [] }
            report = .running(RunningBoard(slot: slot, usbDevnode: board.device.devnode,
                                           ports: ports, complete: complete))
        }
        guard report != board.reported else { return [] }
        // Once reported, only a change that completes the board is worth another line.
        if board.reported != nil && !report.isComplete { return [] }
        boards[path]?.reported = report
        return [report]
    }
}

extension SlotReport {
    /// Whether the board's shape is whole (every port present). `gone` counts as complete.
    public var isComplete: Bool {
        switch self {
        case .download(let b): return b.complete
        case .running(let b): return b.complete
        case .gone: return true
        }
    }
}
