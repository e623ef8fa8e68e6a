import Vocabulary

/// Turns libudev devices into `DeviceEvent`s. Reads only sysfs names and attributes (plus the
/// kernel's own uevent keys for removals), never udevd-made properties such as ID_PATH, so
/// it works with either monitor source.
enum UDevTranslation {
    /// The event for `device` seen with `action` (`add`, `remove`, `change`, `bind`, …), or nil
    /// when it does not concern slot tracking.
    static func event(for device: UDevDevice, action: String) -> DeviceEvent? {
        switch device.subsystem {
        case "usb":
            guard device.devtype == "usb_device", let path = PhysicalPath(device.sysname) else {
                return nil
            }
            switch action {
            case "remove":
                return .usbRemoved(path: path)
            case "add", "change", "bind":
                guard let id = usbID(of: device) else { return nil }
                // sysfs prints it as "%2d"; empty while the device has no active configuration.
                let interfaces = device.attribute("bNumInterfaces")
                    .flatMap { Int($0.filter { !$0.isWhitespace }) }
                return .usbAdded(USBDevice(path: path, id: id, devnode: device.devnode, interfaceCount: interfaces))
            default:
                return nil
            }
        case "tty":
            guard let location = SysfsLocation(syspath: device.syspath) else { return nil }
            switch action {
            case "remove":
                guard let devnode = device.devnode ?? ttyNode(device) else { return nil }
                return .ttyRemoved(path: location.path, devnode: devnode)
            case "add", "change":
                guard let devnode = device.devnode ?? ttyNode(device) else { return nil }
                let interface = device.ancestorAttribute(
                    subsystem: "usb", devtype: "usb_interface", "bInterfaceNumber"
                ).flatMap { Int($0, radix: 16) } ?? location.interface
                return .ttyAdded(path: location.path, interface: interface, devnode: devnode)
            default:
                return nil
            }
        default:
            return nil
        }
    }

    /// VID:PID from sysfs, else from the kernel's `PRODUCT=17d1/1/200` uevent key.
    static func usbID(of device: UDevDevice) -> USBID? {
        if let v = device.attribute("idVendor").flatMap({ UInt16($0, radix: 16) }),
           let p = device.attribute("idProduct").flatMap({ UInt16($0, radix: 16) }) {
            return USBID(vendor: v, product: p)
        }
        return device.property("PRODUCT").flatMap(usbID(fromProductKey:))
    }

    /// Parses the kernel uevent `PRODUCT` value: `vendor/product/bcdDevice`, hex, unpadded.
    static func usbID(fromProductKey value: String) -> USBID? {
        let parts = value.split(separator: "/")
        guard parts.count >= 2, let v = UInt16(parts[0], radix: 16), let p = UInt16(parts[1], radix: 16)
        else { return nil }
        return USBID(vendor: v, product: p)
    }

    private static func ttyNode(_ device: UDevDevice) -> String? {
        device.sysname.isEmpty ? nil : "/dev/" + device.sysname
    }
}
