import Vocabulary

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
/// - A device with the running ID whose ttys are all off the running roles' interfaces is not
///   a half-enumerated running board: download mode is one CDC port under `17D1:0001` on every
///   EC618 source, but one third-party script for a later chip treats a single-port
///   `19D1:0001` as download mode (spec ec618 §10 item 2). Once its layout is settled — at the
///   deadline, or as soon as its tty is there if the device has room for one CDC port only
///   (`interfaceCount` ≤ 2) — it is reported as an unknown shape, or as download mode when
///   the identity says so (single tty only). Not earlier: a build without RNDIS shifts the
///   running ports down by two (luatos-formats §5.2), so a first tty on interface 0 alone
///   proves nothing.
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
                    // Seen twice: enumeration raced the monitor, or the kernel's `bind` after
                    // `add` — which may now know the interface count, and so settle the layout.
                    guard known.device.interfaceCount == nil, device.interfaceCount != nil else { return [] }
                    boards[device.path]?.device = device
                    return evaluate(device.path, at: now)
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
            let settled = overdue || (board.device.interfaceCount.map { $0 <= Self.oneCDCPortInterfaces } ?? false)
            if ports.isEmpty && !seen.isEmpty && settled {
                report = notRunning(board, slot: slot, seen: seen)
            } else {
                guard complete || overdue else { return [] }
                report = .running(RunningBoard(slot: slot, usbDevnode: board.device.devnode,
                                               ports: ports, complete: complete))
            }
        }
        guard report != board.reported else { return [] }
        // Once reported, only a change that completes the board is worth another line.
        if board.reported != nil && !report.isComplete { return [] }
        boards[path]?.reported = report
        return [report]
    }

    /// Interfaces of a device with a single CDC-ACM function (comm + data, spec ec618 §1.1 [I]).
    static let oneCDCPortInterfaces = 2

    /// A running-ID device whose ttys are all off the running roles' interfaces: download mode if
    /// the identity accepts a single port so, else an unknown shape with a message naming the
    /// path, the ID, what was seen and what was expected.
    private func notRunning(_ board: Board, slot: Slot, seen: [String: Int?]) -> SlotReport {
        if seen.count == 1, identity.singlePortRunningIsDownload {
            return .download(DownloadBoard(slot: slot, usbDevnode: board.device.devnode, port: seen.keys.first))
        }
        let ttys = seen.keys.sorted().map { "\($0) on interface \(seen[$0].flatMap { $0 }.map(String.init) ?? "?")" }
        let roles = identity.runningRoles.keys.sorted().map(String.init).joined(separator: "/")
        var message = "\(board.device.path): \(board.device.id) has \(ttys.count == 1 ? "one tty" : "\(ttys.count) ttys") "
            + "(\(ttys.joined(separator: ", "))"
            + (board.device.interfaceCount.map { "; \($0) USB interface\($0 == 1 ? "" : "s")" } ?? "")
            + ") and none on interfaces \(roles): expected running mode (\(identity.running), ttys on interfaces "
            + "\(roles)) or download mode (\(identity.download), one tty); unknown shape, not used"
        if seen.count == 1 {
            message += " (a profile with [usb.download] accept_single_port_running_id = true takes it as download mode)"
        }
        return .unknownShape(UnknownShapeBoard(slot: slot, id: board.device.id, usbDevnode: board.device.devnode,
                                               ports: seen.keys.sorted(), message: message))
    }
}

extension SlotReport {
    /// Whether the board's shape is whole (every port present). `gone` counts as complete.
    public var isComplete: Bool {
        switch self {
        case .download(let b): return b.complete
        case .running(let b): return b.complete
        // Nothing more is awaited for it: the shape is decided, only not usable.
        case .gone, .unknownShape: return true
        }
    }
}
