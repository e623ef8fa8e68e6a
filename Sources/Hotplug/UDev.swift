import CLibUDev
import Glibc

/// Where the udev monitor listens. With udevd running, `udev` delivers events after its rules
/// ran (ID_* properties, permissions applied). Without udevd (containers, minimal images,
/// initramfs) only `kernel` delivers anything. Slot tracking needs neither ID_PATH nor any
/// udev property, so both work.
public enum MonitorSource: String, Sendable, CaseIterable {
    case udev
    case kernel
}

/// Failures of the udev layer itself (not of a board).
public struct HotplugError: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "udev: \(reason)" }
}

/// Owns one libudev context. Not thread-safe (libudev contexts are not): each watcher thread
/// makes its own.
final class UDevContext {
    let raw: OpaquePointer

    init() throws {
        guard let raw = udev_new() else { throw HotplugError("udev_new failed") }
        self.raw = raw
    }

    deinit { udev_unref(raw) }

    /// Every device of `subsystem` present now.
    func enumerate(subsystem: String) throws -> [UDevDevice] {
        guard let enumerate = udev_enumerate_new(raw) else {
            throw HotplugError("udev_enumerate_new failed")
        }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, subsystem)
        udev_enumerate_scan_devices(enumerate)
        var devices: [UDevDevice] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            if let name = udev_list_entry_get_name(current),
               let device = udev_device_new_from_syspath(raw, name) {
                devices.append(UDevDevice(owning: device))
            }
            entry = udev_list_entry_get_next(current)
        }
        return devices
    }
}

/// One udev device (owning reference).
final class UDevDevice {
    let raw: OpaquePointer

    init(owning raw: OpaquePointer) { self.raw = raw }
    deinit { udev_device_unref(raw) }

    var syspath: String { string(udev_device_get_syspath(raw)) ?? "" }
    var sysname: String { string(udev_device_get_sysname(raw)) ?? "" }
    var subsystem: String? { string(udev_device_get_subsystem(raw)) }
    var devtype: String? { string(udev_device_get_devtype(raw)) }
    var devnode: String? { string(udev_device_get_devnode(raw)) }
    var action: String? { string(udev_device_get_action(raw)) }

    func attribute(_ name: String) -> String? {
        string(udev_device_get_sysattr_value(raw, name))?.trimmingWhitespace
    }

    func property(_ name: String) -> String? { string(udev_device_get_property_value(raw, name)) }

    /// An attribute of the nearest ancestor with `subsystem`/`devtype` (borrowed by libudev
    /// from this device, so read it while this device lives).
    func ancestorAttribute(subsystem: String, devtype: String, _ name: String) -> String? {
        guard let parent = udev_device_get_parent_with_subsystem_devtype(raw, subsystem, devtype)
        else { return nil }
        return string(udev_device_get_sysattr_value(parent, name))?.trimmingWhitespace
    }

    private func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

/// A udev netlink monitor filtered to USB devices and ttys.
final class UDevMonitor {
    let raw: OpaquePointer
    let fd: Int32

    init(context: UDevContext, source: MonitorSource) throws {
        guard let raw = udev_monitor_new_from_netlink(context.raw, source.rawValue) else {
            throw HotplugError("cannot open the \(source.rawValue) event monitor")
        }
        self.raw = raw
        udev_monitor_filter_add_match_subsystem_devtype(raw, "usb", "usb_device")
        udev_monitor_filter_add_match_subsystem_devtype(raw, "tty", nil)
        guard udev_monitor_enable_receiving(raw) >= 0 else {
            udev_monitor_unref(raw)
            throw HotplugError("cannot receive \(source.rawValue) events")
        }
        fd = udev_monitor_get_fd(raw)
    }

    deinit { udev_monitor_unref(raw) }

    /// The next queued device, or nil when none is waiting (the socket is non-blocking).
    func receive() -> UDevDevice? {
        udev_monitor_receive_device(raw).map(UDevDevice.init(owning:))
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
