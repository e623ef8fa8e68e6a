import Foundation
import Links
import Vocabulary

/// Who the simulated module is: what `mobile.*` answers.
public struct RuntimeIdentity: Sendable, Equatable, Codable {
    public var imei: String
    /// The SIM's ICCID; nil: no SIM (`mobile.iccid()` returns nil, as the firmware does when
    /// `luat_mobile_get_iccid` fails, openLuat/LuatOS components/mobile/luat_lib_mobile.c).
    public var iccid: String?
    public var imsi: String
    /// Signal quality 0–31 (`mobile.csq()`).
    public var csq: Int
    /// The RF calibration flags in the module's NV (what `mobile.ecnpicfg()` reports on a build
    /// that has it).
    public var rfCalibration: RFCalibrationFlags

    public init(imei: String, iccid: String?, imsi: String = "460001234567890", csq: Int = 24,
                rfCalibration: RFCalibrationFlags = .calibrated) {
        self.imei = imei
        self.iccid = iccid
        self.imsi = imsi
        self.csq = csq
        self.rfCalibration = rfCalibration
    }

    /// A plausible identity derived from a board number, so simulated lines have distinct boards.
    /// The IMEI is Luhn-valid (TAC 86201106, the number as serial, its check digit).
    public static func simulated(_ number: Int) -> RuntimeIdentity {
        let serial = String(format: "%06d", number % 1_000_000)
        return RuntimeIdentity(imei: IMEI.completing("86201106\(serial)") ?? "86201106\(serial)0",
                               iccid: "8986002210\(serial)0001",
                               imsi: "46000\(String(format: "%010d", number))", csq: 18 + number % 10)
    }
}

/// The NPI process flags `AT+ECNPICFG?` reports (`"rfCaliDone":%d,"rfNSTDone":%d`, EC618 SDK
/// `pdevNPICFG`): RF calibration done, non-signalling test done. A module whose calibration
/// region was erased has them cleared.
public struct RFCalibrationFlags: Sendable, Equatable, Codable {
    public var rfCaliDone: Bool
    public var rfNSTDone: Bool

    public init(rfCaliDone: Bool, rfNSTDone: Bool) {
        self.rfCaliDone = rfCaliDone
        self.rfNSTDone = rfNSTDone
    }

    /// A module as it leaves the module factory.
    public static let calibrated = RFCalibrationFlags(rfCaliDone: true, rfNSTDone: true)
    /// A module whose calibration was erased (a full-chip erase).
    public static let lost = RFCalibrationFlags(rfCaliDone: false, rfNSTDone: false)

    /// What `mobile.ecnpicfg()`'s first value says: both steps done.
    public var passed: Bool { rfCaliDone && rfNSTDone }
}

/// Network faults of the simulated 4G link.
public struct NetworkFaults: Sendable, Equatable {
    /// The module never attaches: `IP_READY` is never published.
    public var noAttach = false
    /// Extra delay before every HTTP request goes out (a slow link).
    public var extraLatency: Duration = .zero
    /// Requests whose URL contains this text have their connection dropped (code -5).
    public var dropConnectionsMatching: String?
    /// Requests whose URL contains this text have one request-body byte flipped on the way out.
    public var alterRequestBodyMatching: String?
    /// Requests whose URL contains this text have one response-body byte flipped on the way in.
    public var corruptResponseBodyMatching: String?
    /// Responses whose URL contains `marker` lose their link after `afterBytes` body bytes, on the
    /// first `times` attempts of each request (the firmware then re-requests with `Range`).
    public var cutResponses: ResponseCut?

    public struct ResponseCut: Sendable, Equatable {
        public var marker: String
        public var afterBytes: Int
        public var times: Int

        public init(marker: String, afterBytes: Int, times: Int = 1) {
            self.marker = marker
            self.afterBytes = afterBytes
            self.times = times
        }
    }

    public init() {}
    public static let none = NetworkFaults()
}

/// How a runtime boots and behaves. Defaults are realistic; tests shorten the delays to milliseconds.
public struct RuntimeSettings: Sendable {
    /// Time from boot to `IP_READY` (4G attach).
    public var attachDelay: Duration = .seconds(3)
    /// The module attached before `main` ran: `IP_READY` was published (once, LuatOS
    /// `components/mobile/luat_lib_mobile.c`) before any task could subscribe to it, so only
    /// `socket.adapter()` tells the script the network is up.
    public var attachesBeforeMain = false
    /// What the board's names resolve to: only this machine (`--sim-host`).
    public var network = SimulatedNetwork()
    /// The board's wall clock at boot, before network time sets it: certificate dates are
    /// checked against this plus the time since boot.
    public var clockAtBoot: Date = BoardClock.beforeNetworkTime
    /// A Lua error in a task is raised again by `sys.lua` this much later, which ends the VM
    /// (LuatOS `script/corelib/sys.lua`).
    public var taskErrorRaiseDelay: Duration = .milliseconds(500)
    /// Once the VM ended on an error the firmware reboots after this delay and runs `main`
    /// again (`LUAT_EXIT_REBOOT_DELAY`, LuatOS `luat/modules/luat_main.c`).
    public var exitRebootDelay: Duration = .seconds(15)
    /// Folder standing in for the board's LittleFS root (`/`); created if missing.
    public var sandboxDirectory: String
    /// Separator between Lua arguments in log records: TAB up to LuatOS core 2025-07 (V1112), a
    /// space after it (spec §5.3).
    public var logArgumentSeparator: String = "\t"
    /// How log frames on the x.2 port escape `7E`/`7D` (an open question, spec §6 item 1).
    public var logEscaping: LogEscaping = .airm2m
    /// Largest HTTP response body a request accepts before failing with -3.
    public var maxResponseBytes = 4 * 1024 * 1024
    public var faults = NetworkFaults.none
    /// The 4G link's round trip and rate, paid by every HTTP exchange (`SimTiming.cellLink`).
    public var cellLink = CellLinkTiming.instant
    /// How the firmware's HTTP client behaves where LuatOS versions differ.
    public var http = FirmwareHTTPBehaviour()
    /// Firmware version string (`rtos.version()`).
    public var firmwareVersion = "V1112"
    /// Compile-time options of the build beyond what `firmwareBuild` implies, each adding the
    /// members `FirmwareAPIManifest.optionalMembers` lists for it (e.g.
    /// `LUAT_USE_MOBILE_ECNPICFG` adds `mobile.ecnpicfg`). The V1112 release sets none of them.
    public var buildOptions: Set<String> = []

    public init(sandboxDirectory: String) {
        self.sandboxDirectory = sandboxDirectory
    }

    /// Which V1112 build the board runs: `.full` (the default) or `.lite`, which lacks the
    /// manifest's `full:` modules such as `miniz` (FirmwareAPIManifest).
    public var firmwareBuild: FirmwareBuild = .full
}

/// The board's clock before network time.
public enum BoardClock {
    /// What an EC618 board's clock reads at boot until network time arrives [S]: the vendor's
    /// NTP guide gives the power-on timestamp 946713600 (2000-01-01 16:00 Beijing time); the
    /// value itself comes from the closed SDK (`soc_get_utc`, luatos-soc-2022).
    public static let beforeNetworkTime = Date(timeIntervalSince1970: 946_713_600)  // 2000-01-01T08:00:00Z
}

/// Where the runtime's USB ports go: the SoC-log port (x.2, 0x7E frames) and the user virtual
/// UART (x.6, raw bytes). Each sink receives bytes in order; nil drops them (they are still kept
/// in the runtime's own transcript).
public struct RuntimePorts: Sendable {
    public var socLog: (@Sendable ([UInt8]) async -> Void)?
    public var vuart: (@Sendable ([UInt8]) async -> Void)?

    public init(socLog: (@Sendable ([UInt8]) async -> Void)? = nil,
                vuart: (@Sendable ([UInt8]) async -> Void)? = nil) {
        self.socLog = socLog
        self.vuart = vuart
    }
}

extension RuntimePorts {
    /// Ports that write to byte links: the device side of a `MemoryLink` pair or a pseudo-terminal,
    /// so a host reads the simulated x.2 and x.6 ports like ttys. Write errors (the host closed its
    /// side) drop the bytes, as an unplugged USB port would.
    public static func links(socLog: (any ByteLink)?, vuart: (any ByteLink)?) -> RuntimePorts {
        RuntimePorts(socLog: sink(socLog), vuart: sink(vuart))
    }

    private static func sink(_ link: (any ByteLink)?) -> (@Sendable ([UInt8]) async -> Void)? {
        guard let link else { return nil }
        return { bytes in try? await link.write(bytes) }
    }
}
