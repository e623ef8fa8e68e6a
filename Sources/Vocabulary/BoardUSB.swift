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

/// The Air780E's (EC618, LuatOS) USB identity as the specs give it (ec618 §1.1, luatos-formats
/// §5.1–5.2): the one place these numbers are written. A profile may override them; the host
/// side's defaults and the simulated board's gadgets start from here.
public enum EC618USB {
    /// Download (BOOT) mode: one CDC port.
    public static let download = USBID(vendor: 0x17D1, product: 0x0001)
    /// The running LuatOS firmware: a composite device with CDC-ACM ports.
    public static let running = USBID(vendor: 0x19D1, product: 0x0001)
    /// Running-mode interface number (the CDC comm interface) → role: x.2, x.4, x.6.
    public static let runningRoles: [Int: PortRole] = [2: .socLog, 4: .trace, 6: .vuart]

    /// The interface number of `role` in running mode.
    public static func interface(of role: PortRole) -> Int? {
        runningRoles.first { $0.value == role }?.key
    }
}
