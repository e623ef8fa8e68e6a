/// A USB vendor/product pair.
public struct USBID: Hashable, Sendable, CustomStringConvertible {
    public let vendor: UInt16
    public let product: UInt16

    public init(vendor: UInt16, product: UInt16) {
        self.vendor = vendor
        self.product = product
    }

    /// Parses `17d1:0001` (hex, case-insensitive).
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let v = UInt16(parts[0], radix: 16), let p = UInt16(parts[1], radix: 16)
        else { return nil }
        self.init(vendor: v, product: p)
    }

    /// Lower-case four-digit hex, the way sysfs and udev rules spell it.
    public var vendorHex: String { USBID.hex4(vendor) }
    public var productHex: String { USBID.hex4(product) }
    public var description: String { "\(vendorHex):\(productHex)" }

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

/// What a board's port is for. Roles come from interface numbers, never from tty order.
public enum PortRole: String, Hashable, Sendable, CaseIterable, Comparable {
    /// The single CDC port of download (BOOT) mode.
    case download
    /// Running x.2: SoC log, also takes `AT+ECRST` and the diag frames (software boot entry).
    case socLog = "soc_log"
    /// Running x.4: chip trace (EPAT/unilog).
    case trace
    /// Running x.6: the script's virtual UART (`uart.VUART_0`).
    case vuart

    public static func < (a: PortRole, b: PortRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The two USB shapes a board takes, and which running-mode interface plays which role.
/// A profile's `[usb]` section maps onto this; `air780e` holds the spec's values.
public struct BoardUSBIdentity: Sendable, Equatable {
    /// Download (BOOT) mode: one CDC port.
    public var download: USBID
    /// Running firmware: CDC-ACM ports on the interfaces in `runningRoles`.
    public var running: USBID
    /// Running-mode interface number (the CDC comm interface) → role.
    public var runningRoles: [Int: PortRole]
    /// Whether a device with the running ID but a single tty and none of the running roles'
    /// interfaces is download mode (one third-party script for a later chip treats it so, spec
    /// ec618 §10 item 2) rather than an unknown shape. Profile key
    /// `[usb.download] accept_single_port_running_id`.
    public var singlePortRunningIsDownload: Bool

    public init(download: USBID, running: USBID, runningRoles: [Int: PortRole],
                singlePortRunningIsDownload: Bool = false) {
        self.download = download
        self.running = running
        self.runningRoles = runningRoles
        self.singlePortRunningIsDownload = singlePortRunningIsDownload
    }

    /// Air780E / EC618 LuatOS: `17D1:0001` download, `19D1:0001` running with x.2/x.4/x.6
    /// (luatos-formats §5.1–5.2).
    public static let air780e = BoardUSBIdentity(
        download: USBID(vendor: 0x17D1, product: 0x0001),
        running: USBID(vendor: 0x19D1, product: 0x0001),
        runningRoles: [2: .socLog, 4: .trace, 6: .vuart]
    )

    /// The shape a device with `id` has, or nil for any other USB device.
    public func mode(of id: USBID) -> BoardMode? {
        if id == download { return .download }
        if id == running { return .running }
        return nil
    }

    /// The role of a running-mode tty on `interface`. Some stacks report the CDC data
    /// interface (comm + 1) instead of the comm one; both are accepted.
    public func runningRole(interface: Int) -> PortRole? {
        runningRoles[interface] ?? runningRoles[interface - 1]
    }
}

/// The shape a board has on the bus right now.
public enum BoardMode: String, Sendable, Equatable {
    case download
    case running
}

import Firmware

extension BoardUSBIdentity {
    /// The profile's `[usb]` section: both identities and the running interface roles.
    public init(profile: Profile) {
        self.init(
            download: USBID(vendor: profile.downloadMode.vendorID, product: profile.downloadMode.productID),
            running: USBID(vendor: profile.runningMode.vendorID, product: profile.runningMode.productID),
            runningRoles: [profile.runningInterfaces.socLog: .socLog,
                           profile.runningInterfaces.trace: .trace,
                           profile.runningInterfaces.vuart: .vuart],
            singlePortRunningIsDownload: profile.acceptsSinglePortRunningID)
    }
}
