/// The udev rule file a station needs: the station user may open both board shapes (usbfs
/// node for libusb, ttys for termios), and ModemManager leaves them alone — it probes new
/// CDC-ACM ports with AT commands, which breaks a download session.
public struct UdevRule: Sendable, Equatable {
    /// The group granted read/write access (the station user must be a member).
    public var group: String
    public var identity: BoardUSBIdentity

    /// Where `setup-udev` installs the rule by default. Numbered below ModemManager's own
    /// `77-mm-*` rules so the ignore tag is set before they look.
    public static let defaultPath = "/etc/udev/rules.d/70-provision-air780e.rules"

    /// The udev property that tells ModemManager not to probe a device or its ports.
    public static let modemManagerIgnore = "ID_MM_DEVICE_IGNORE"

    public init(group: String = "plugdev", identity: BoardUSBIdentity = .air780e) {
        self.group = group
        self.identity = identity
    }

    /// Whether `text` (an installed rule file) covers both shapes and tags them for
    /// ModemManager — what `doctor` looks for.
    public func isCovered(by text: String) -> Bool {
        let lower = text.lowercased()
        return [identity.download, identity.running].allSatisfy {
            lower.contains("\"\($0.vendorHex)\"") && lower.contains("\"\($0.productHex)\"")
        } && text.contains(UdevRule.modemManagerIgnore)
    }

    /// The file's text.
    public var text: String {
        var lines = [
            "# Written by `provision setup-udev`: Air780E (EC618) boards on a provisioning station.",
            "# Download mode \(identity.download), running firmware \(identity.running).",
            "# Members of group '\(group)' may use them; ModemManager must not probe them.",
            "",
        ]
        for (id, mode) in [(identity.download, "download mode"), (identity.running, "running firmware")] {
            let match = "ATTR{idVendor}==\"\(id.vendorHex)\", ATTR{idProduct}==\"\(id.productHex)\""
            let parentMatch = "ATTRS{idVendor}==\"\(id.vendorHex)\", ATTRS{idProduct}==\"\(id.productHex)\""
            let grant = "MODE=\"0660\", GROUP=\"\(group)\", TAG+=\"uaccess\", ENV{\(UdevRule.modemManagerIgnore)}=\"1\""
            lines.append("# \(id) \(mode): the usbfs node (libusb) and its ttys.")
            lines.append("SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", \(match), \(grant)")
            lines.append("SUBSYSTEM==\"tty\", \(parentMatch), \(grant)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
