import Vocabulary

/// A fixture slot: one physical USB path, and the operator's name for it.
public struct Slot: Hashable, Sendable, CustomStringConvertible {
    public let path: PhysicalPath
    /// From the station config; the path itself when the config does not name it.
    public let label: String

    public init(path: PhysicalPath, label: String) {
        self.path = path
        self.label = label
    }

    public var description: String { label == path.rawValue ? label : "\(label) (\(path))" }
}

/// What the watcher tells the station about a slot.
public enum SlotReport: Sendable, Equatable {
    /// A board in download mode. `port` is its one tty (nil when the deadline passed
    /// without one: a libusb link still works then).
    case download(DownloadBoard)
    /// A running board with its ports by role. `complete` is false when the debounce
    /// deadline passed before every role's port existed.
    case running(RunningBoard)
    /// The slot is empty (unplugged, or resetting into its other shape).
    case gone(Slot)
    /// A device with one of the board's IDs whose interface layout is neither shape (e.g. a
    /// single-port `19D1:0001`, spec ec618 §10 item 2): nothing is started on it.
    case unknownShape(UnknownShapeBoard)

    public var slot: Slot {
        switch self {
        case .download(let b): return b.slot
        case .running(let b): return b.slot
        case .gone(let s): return s
        case .unknownShape(let b): return b.slot
        }
    }

    /// `download`, `running`, `gone` or `unknown`.
    public var kind: String {
        switch self {
        case .download: return "download"
        case .running: return "running"
        case .gone: return "gone"
        case .unknownShape: return "unknown"
        }
    }
}

/// A device that carries a board's USB ID but not its layout: what was seen, and a message for
/// the operator saying what was expected instead.
public struct UnknownShapeBoard: Sendable, Equatable {
    public let slot: Slot
    public let id: USBID
    public let usbDevnode: String?
    /// The ttys seen below the device, sorted.
    public let ports: [String]
    /// One line: the path, the ID, the interfaces seen and what was expected.
    public let message: String

    public init(slot: Slot, id: USBID, usbDevnode: String?, ports: [String], message: String) {
        self.slot = slot
        self.id = id
        self.usbDevnode = usbDevnode
        self.ports = ports
        self.message = message
    }
}

/// A board in download mode.
public struct DownloadBoard: Sendable, Equatable {
    public let slot: Slot
    /// The usbfs node for libusb, when known.
    public let usbDevnode: String?
    /// The single CDC tty, when the kernel made one.
    public let port: String?
    public var complete: Bool { port != nil }

    public init(slot: Slot, usbDevnode: String?, port: String?) {
        self.slot = slot
        self.usbDevnode = usbDevnode
        self.port = port
    }
}

/// A board running its firmware.
public struct RunningBoard: Sendable, Equatable {
    public let slot: Slot
    public let usbDevnode: String?
    /// tty device paths by role (x.2 → soc_log, x.4 → trace, x.6 → vuart).
    public let ports: [PortRole: String]
    public let complete: Bool

    public init(slot: Slot, usbDevnode: String?, ports: [PortRole: String], complete: Bool) {
        self.slot = slot
        self.usbDevnode = usbDevnode
        self.ports = ports
        self.complete = complete
    }
}
