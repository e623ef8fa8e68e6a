import EC618
import Firmware
import Foundation
import Links
import LuaImage
import QA
import Vocabulary

/// How a board in download mode is flashed: through its CDC tty (`cdc_acm`), or straight over
/// its bulk endpoints with libusb (no kernel driver needed).
public enum BoardLinkKind: String, Sendable, CaseIterable {
    case tty
    case usb
}

/// What every board of one station shares: the station's materials, and how boards are reached
/// (the bus's ports: device nodes, or a simulated bus's) and judged on their ports.
public struct HardwareLine: Sendable {
    public let materials: StationMaterials
    public let link: BoardLinkKind
    public let ports: any BoardPorts
    public let flasher: FlasherSettings
    public let bootEntry: BootEntrySequence
    /// Baud rates the ports are opened with (meaningless on USB CDC, set anyway: ec618 §1.4).
    public let downloadBaud: Int
    public let runtimeBaud: Int
    public let bootCheck: BootCheckRules
    /// How the x.2 log frames escape `7E`/`7D` (an open question of the spec: a profile setting).
    public let logEscaping: LogEscaping

    public init(materials: StationMaterials, link: BoardLinkKind, ports: any BoardPorts = SystemBoardPorts(), flasher: FlasherSettings = FlasherSettings(),
                bootEntry: BootEntrySequence, downloadBaud: Int, runtimeBaud: Int,
                bootCheck: BootCheckRules = BootCheckRules(), logEscaping: LogEscaping = .airm2m) {
        self.materials = materials
        self.link = link
        self.ports = ports
        self.flasher = flasher
        self.bootEntry = bootEntry
        self.downloadBaud = downloadBaud
        self.runtimeBaud = runtimeBaud
        self.bootCheck = bootCheck
        self.logEscaping = logEscaping
    }
}
