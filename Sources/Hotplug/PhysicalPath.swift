/// A USB device's physical place on the bus, as the kernel names it in sysfs: `1-1.3` is bus 1,
/// root port 1, hub port 3. Every Air780E reports the same serial number, so this path — not
/// the serial, not the ttyACM index — is what identifies a fixture slot.
public struct PhysicalPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The sysfs device name, e.g. `1-1.3`.
    public let rawValue: String

    /// The bus number (the part before the dash).
    public var bus: Int { Int(rawValue.prefix { $0 != "-" }) ?? 0 }

    /// The hub port numbers from the root hub down to the device.
    public var ports: [Int] {
        guard let dash = rawValue.firstIndex(of: "-") else { return [] }
        return rawValue[rawValue.index(after: dash)...].split(separator: ".").compactMap { Int($0) }
    }

    /// Accepts a sysfs USB device name (`<bus>-<port>[.<port>…]`); rejects root hubs (`usb1`),
    /// interfaces (`1-1.3:1.2`) and anything else.
    public init?(_ name: String) {
        guard PhysicalPath.isDeviceName(name) else { return nil }
        rawValue = name
    }

    /// Builds the path from a bus number and the port chain (as libusb reports them).
    public init?(bus: Int, ports: [Int]) {
        guard bus > 0, !ports.isEmpty, ports.allSatisfy({ $0 > 0 }) else { return nil }
        rawValue = "\(bus)-" + ports.map(String.init).joined(separator: ".")
    }

    public var description: String { rawValue }

    /// Bus first, then hub ports in order, so slots list in the hub's physical order.
    public static func < (a: PhysicalPath, b: PhysicalPath) -> Bool {
        if a.bus != b.bus { return a.bus < b.bus }
        return a.ports.lexicographicallyPrecedes(b.ports)
    }

    static func isDeviceName<S: StringProtocol>(_ name: S) -> Bool {
        guard let dash = name.firstIndex(of: "-") else { return false }
        let bus = name[..<dash]
        let rest = name[name.index(after: dash)...]
        guard !bus.isEmpty, bus.allSatisfy(\.isASCIIDigit), !rest.isEmpty else { return false }
        let ports = rest.split(separator: ".", omittingEmptySubsequences: false)
        return ports.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }
}

/// Where a sysfs device sits below a USB device: the device's physical path and, when the
/// sysfs path passes through a USB interface (`1-1.3:1.2`), that interface's number.
public struct SysfsLocation: Equatable, Sendable {
    /// The USB device the sysfs node belongs to.
    public let path: PhysicalPath
    /// The interface number from the nearest `<path>:<config>.<interface>` component, if any.
    public let interface: Int?

    /// Parses a sysfs device path such as
    /// `/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.3/1-1.3:1.2/tty/ttyACM0`.
    /// The deepest USB device component wins (hubs sit above boards); returns nil when no USB
    /// device lies on the path (a platform `ttyS0`, a root hub itself).
    public init?(syspath: String) {
        var device: PhysicalPath?
        var interface: Int?
        for component in syspath.split(separator: "/") {
            if let path = PhysicalPath(String(component)) {
                device = path
                interface = nil
            } else if let colon = component.firstIndex(of: ":"),
                      let path = PhysicalPath(String(component[..<colon])), path == device {
                // `<path>:<configuration>.<interface>`
                let tail = component[component.index(after: colon)...].split(separator: ".")
                if tail.count == 2, let number = Int(tail[1]) { interface = number }
            }
        }
        guard let device else { return nil }
        self.path = device
        self.interface = interface
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
