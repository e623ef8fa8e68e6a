import ArgumentParser
import Firmware
import Foundation
import Hotplug
import Links
import Station
import QA

/// `provision doctor`: checks what a station needs from this machine and says what to fix.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check this machine for a station: udev rule, device permissions, ModemManager, libraries, AgentBoot, QA server, the installed service.",
        discussion: """
            One line per check. Exits 3 if any check would stop a station (FAIL); warnings do not. \
            Without --station, the installed service's \(InstalledLayout.stationConfig) is read when it exists.
            """)

    @Option(help: "A .soc firmware package: check that an AgentBoot is found for it.")
    var soc: String?

    @Option(name: .customLong("agentboot"), help: "AgentBoot file to use instead of the one inside the .soc.")
    var agentBoot: String?

    @Option(name: .customLong("qa-server"), help: "The QA server's URL (http://host:port): check it is reachable.")
    var qaServer: String?

    @Option(name: .customLong("qa-url"), help: "The URL boards will be given for the QA server (default: station.toml's qa.public_urls).")
    var qaURL: String?

    @Option(help: "Station config file (station.toml): the QA URL boards will be given.")
    var station: String?

    @Option(name: .customLong("rules-dir"), help: "Where to look for the udev rule (repeatable; default: udev's folders).")
    var rulesDirs: [String] = []

    @OptionGroup var boardProfile: BoardProfileOption

    @Flag(name: .customLong("print-layout"), help: "Print where the package installs a station's files (KEY=VALUE lines, for scripts/package-deb) and exit.")
    var printLayout = false

    @Option(help: "Event source the station will use: udev or kernel (default: udev when udevd runs, else kernel).")
    var source: MonitorSource?

    func run() async throws {
        if printLayout {
            print(InstalledFiles.layoutLines.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
            return
        }
        let stationFile = station ?? InstalledFiles.serviceStationConfig()
        let profile: Profile
        do {
            let config = try stationFile.map { try StationConfig.load(path: $0) }
            profile = try boardProfile.load(fallback: config?.profile)
        } catch { throw fail(error) }
        let identity = BoardUSBIdentity(profile: profile)
        var checks: [DoctorCheck] = InstalledFiles.checks(profile: profile, stationFile: stationFile, given: station != nil)
        let rule = UdevRule(identity: identity)
        let installed = SystemProbe.installedRule(rule, in: rulesDirs.isEmpty ? SystemProbe.ruleFolders : rulesDirs)
        let modemManager = SystemProbe.runningProcessNames().contains("ModemManager")

        checks.append(installed.map { DoctorCheck(.ok, "udev rule", "\($0) covers \(identity.download) and \(identity.running)") }
            ?? DoctorCheck(modemManager ? .fail : .warn, "udev rule",
                           "none found for \(identity.download)/\(identity.running); install it with `sudo provision setup-udev`"))
        if modemManager {
            checks.append(installed != nil
                ? DoctorCheck(.ok, "ModemManager", "running; the rule's ID_MM_DEVICE_IGNORE keeps it off the boards")
                : DoctorCheck(.fail, "ModemManager", "running and would probe the boards' CDC ports, breaking downloads (install the rule, or stop it)"))
        } else {
            checks.append(DoctorCheck(.ok, "ModemManager", "not running"))
        }
        if SystemProbe.udevdRunning {
            checks.append(DoctorCheck(.ok, "udevd", "running"))
        } else {
            checks.append(source == .udev
                ? DoctorCheck(.warn, "udevd", "not running: udev-source events never come; use --source kernel")
                : DoctorCheck(.ok, "udevd", "not running: watching kernel events (udev rules do not apply)"))
        }
        checks.append(DoctorCheck(USBLink.probe() == nil ? .ok : .fail, "libusb",
                                  "\(USBLink.libraryVersion)" + (USBLink.probe().map { ", cannot start: \($0)" } ?? "")))
        checks.append(DoctorCheck(SystemProbe.libudevVersion == nil ? .warn : .ok, "libudev",
                                  SystemProbe.libudevVersion ?? "version unknown"))
        checks += deviceChecks(identity)
        checks.append(agentBootCheck())
        checks.append(qaServerCheck())
        checks.append(try boardQAURLCheck(stationFile))

        for check in checks { print(check.line) }
        if checks.contains(where: { $0.status == .fail }) {
            throw ExitCode(ProvisionExit.environmentError)
        }
    }

    /// Read/write access to every present board's usbfs node and ttys.
    private func deviceChecks(_ identity: BoardUSBIdentity) -> [DoctorCheck] {
        let boards: [SlotReport]
        do {
            boards = try SlotWatcher.present(WatchSettings(identity: identity, debounce: .zero))
        } catch {
            return [DoctorCheck(.fail, "devices", "cannot enumerate with libudev: \(error)")]
        }
        if boards.isEmpty {
            return [DoctorCheck(.warn, "devices", "no board plugged in: permissions on /dev/bus/usb and the ttys not checked")]
        }
        return boards.map { report in
            var nodes: [String] = []
            switch report {
            case .download(let b): nodes = [b.usbDevnode, b.port].compactMap { $0 }
            case .running(let b): nodes = [b.usbDevnode].compactMap { $0 } + b.ports.values.sorted()
            case .gone: break
            case .unknownShape(let b): return DoctorCheck(.warn, "board \(report.slot.label) (\(report.kind))", b.message)
            }
            let denied = nodes.filter { access($0, R_OK | W_OK) != 0 }
            let name = "board \(report.slot.label) (\(report.kind))"
            return denied.isEmpty
                ? DoctorCheck(.ok, name, "read/write on \(nodes.joined(separator: ", "))")
                : DoctorCheck(.fail, name, "no read/write on \(denied.joined(separator: ", ")) (install the udev rule and join its group)")
        }
    }

    private func agentBootCheck() -> DoctorCheck {
        guard let soc else { return DoctorCheck(.skip, "AgentBoot", "no --soc given") }
        do {
            let package = try SocPackage.open(path: soc, agentBootPath: agentBoot)
            let found = try package.requireAgentBoot()
            let known = found.knownBuild.map { " (\($0.label))" } ?? " (not a known build)"
            return DoctorCheck(.ok, "AgentBoot", "\(found.source), \(found.bytes.count) bytes\(known)")
        } catch {
            return DoctorCheck(.fail, "AgentBoot", "\(error)")
        }
    }

    /// The URL real boards will be given, and whether boards on 4G can reach it.
    private func boardQAURLCheck(_ stationFile: String?) throws -> DoctorCheck {
        let config: StationConfig
        do { config = try stationFile.map { try StationConfig.load(path: $0) } ?? StationConfig() } catch { throw fail(error) }
        let name = "QA URL for boards"
        if let shared = config.qaServer, qaURL == nil {
            return DoctorCheck(.ok, name, "given by the shared QA server \(shared) (qa.server)")
        }
        guard let url = qaURL ?? config.qaPublicURL else {
            return DoctorCheck(.warn, name, "none: a station on real boards needs --qa-url or --qa-server (or qa.public_urls / "
                               + "qa.server in station.toml)")
        }
        switch QABoardReach.of(url: url) {
        case nil: return DoctorCheck(.fail, name, "\(url): not an http(s) URL")
        case .loopback?: return DoctorCheck(.fail, name, "\(url) is this PC: boards on 4G cannot reach it")
        case .privateNetwork?: return DoctorCheck(.warn, name, "\(url): a private address, reachable only through a private APN")
        case .publicAddress?: return DoctorCheck(.ok, name, "\(url)")
        }
    }

    private func qaServerCheck() -> DoctorCheck {
        guard let qaServer else { return DoctorCheck(.skip, "QA server", "no --qa-server given") }
        guard let url = URL(string: qaServer), let host = url.host, !host.isEmpty else {
            return DoctorCheck(.fail, "QA server", "\(qaServer): not a URL like http://host:port")
        }
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        if let reason = TCPProbe.connect(host: host, port: port, timeout: .seconds(3)) {
            return DoctorCheck(.fail, "QA server", "\(host):\(port) not reachable: \(reason)")
        }
        return DoctorCheck(.ok, "QA server", "\(host):\(port) accepts connections")
    }
}

/// One line of the doctor's report.
struct DoctorCheck {
    enum Status: String { case ok = "ok", warn = "warn", fail = "FAIL", skip = "skip" }
    let status: Status
    let name: String
    let detail: String

    init(_ status: Status, _ name: String, _ detail: String) {
        self.status = status
        self.name = name
        self.detail = detail
    }

    var line: String {
        status.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
            + name.padding(toLength: max(14, name.count + 1), withPad: " ", startingAt: 0) + detail
    }
}

/// A plain TCP connect with a timeout: is anything listening there?
enum TCPProbe {
    /// nil when a connection was made; the reason otherwise.
    static func connect(host: String, port: Int, timeout: Duration) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else { return "cannot resolve: \(String(cString: gai_strerror(rc)))" }
        defer { freeaddrinfo(list) }
        var reason = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return nil }
            guard errno == EINPROGRESS else { reason = String(cString: strerror(errno)); continue }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let (s, atto) = timeout.components
            guard poll(&p, 1, Int32(s * 1000 + atto / 1_000_000_000_000_000)) == 1 else { reason = "timed out"; continue }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err == 0 { return nil }
            reason = String(cString: strerror(err))
        }
        return reason
    }
}
