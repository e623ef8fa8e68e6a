import Vocabulary

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
        download: EC618USB.download, running: EC618USB.running, runningRoles: EC618USB.runningRoles
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
            download: profile.downloadMode,
            running: profile.runningMode,
            runningRoles: [profile.runningInterfaces.socLog: .socLog,
                           profile.runningInterfaces.trace: .trace,
                           profile.runningInterfaces.vuart: .vuart],
            singlePortRunningIsDownload: profile.acceptsSinglePortRunningID)
    }
}
