import Vocabulary

/// One thing the device layer saw, reduced to what slot tracking needs. The libudev adapter
/// produces these; tests feed synthetic ones to `SlotTracker`.
public enum DeviceEvent: Sendable, Equatable {
    /// A USB device (not an interface) is present at `path`.
    case usbAdded(USBDevice)
    /// The USB device at `path` went away.
    case usbRemoved(path: PhysicalPath)
    /// A tty appeared below the USB device at `path`, on USB interface `interface`.
    case ttyAdded(path: PhysicalPath, interface: Int?, devnode: String)
    /// A tty went away.
    case ttyRemoved(path: PhysicalPath, devnode: String)
}

/// A USB device as the bus shows it.
public struct USBDevice: Sendable, Equatable {
    public let path: PhysicalPath
    public let id: USBID
    /// The usbfs node, e.g. `/dev/bus/usb/001/005` (what libusb opens).
    public let devnode: String?
    /// Interfaces of the active configuration (sysfs `bNumInterfaces`); nil until the device is
    /// configured — the kernel's `add` comes before that, its `bind` after.
    public let interfaceCount: Int?

    public init(path: PhysicalPath, id: USBID, devnode: String?, interfaceCount: Int? = nil) {
        self.path = path
        self.id = id
        self.devnode = devnode
        self.interfaceCount = interfaceCount
    }
}
