import ArgumentParser
import EC618
import Firmware
import Foundation
import Links
import Station
import LuaImage

/// `provision flash --soc X.soc [main.lua …] --port /dev/ttyACM0`: one board in download mode,
/// flashed over its serial port (spec ec618-download-protocol §6.6/§6.7).
struct Flash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Flash one board in download (BOOT) mode: the core and the script image, or the script only.",
        discussion: """
            With no script files, the core images (BL, AP, CP) are written, plus the .soc's own \
            script.bin if it carries one. Script files (main.lua, libraries, folders) are built into \
            a LuaDB image for this .soc first. --script-only writes just the script image (the \
            AgentBoot is still loaded). --dry-run prints the plan and touches nothing.
            Exit codes: 0 flashed, 1 the board failed, 2 bad input, 3 the port cannot be opened.
            """)

    @OptionGroup var firmware: FirmwarePackageOptions
    var soc: String { firmware.soc }

    @Argument(help: "Script files or folders (main.lua first) to build into the script image.")
    var scripts: [String] = []

    @Option(help: "The board's download port: a tty (/dev/ttyACM0, a simulated board's pty) or, with --link usb, its physical USB path (1-1.3).")
    var port: String?

    @Option(help: "How to reach the board: tty (termios) or usb (libusb bulk). Default: usb for a physical USB path, tty for /dev/….")
    var link: BoardLinkKind?


    @Flag(help: "Write only the script image.")
    var scriptOnly = false

    @Flag(help: "Print the plan (images, addresses, sizes, hashes, bytes on the wire) and touch nothing.")
    var dryRun = false

    @Option(help: "Milliseconds to wait for each answer before resending.")
    var responseTimeoutMs = 800

    @Option(help: "Resends of one command before the flash fails.")
    var retries = 10

    @Flag(help: "After each image, read it back with READ_MEM and compare; a difference fails the flash.")
    var verify = false

    @Flag(help: "Print no progress lines.")
    var quiet = false

    func run() async throws {
        do {
            // Refused rather than clamped: a negative count or timeout is a typo, and an absurd
            // timeout would hold a dead port for days.
            try OptionBounds.check(responseTimeoutMs, "--response-timeout-ms", OptionBounds.milliseconds, "ms")
            try OptionBounds.check(retries, "--retries", OptionBounds.commandResends, "resends")
            let package = try firmware.open()
            let plan = try makePlan(package)
            let agent = try package.requireAgentBoot()
            if dryRun {
                // The package's own script.bin is flashed only when no scripts replace it.
                let warning = scripts.isEmpty ? packageScript(package).warning : nil
                print(FlashPlanReport(plan: plan, agentBoot: agent, soc: soc).text()
                      + (warning.map { "\nwarning: \($0)" } ?? ""))
                return
            }
            guard let port else { throw FirmwareError(file: soc, reason: "--port is required unless --dry-run") }
            let kind = link ?? (port.hasPrefix("/") ? .tty : .usb)
            let link: any ByteLink
            do {
                switch kind {
                case .tty: link = try SerialLink.open(path: port)
                case .usb: link = try await USBLink.open(path: port)
                }
            } catch {
                throw PortUnavailable(message: "\(error)")
            }
            var settings = FlasherSettings()
            settings.responseTimeout = .milliseconds(responseTimeoutMs)
            settings.commandRetries = retries
            settings.verify = verify
            let progress = ProgressPrinter(quiet: quiet)
            let flasher = Flasher(link: link, settings: settings) { progress.show($0) }
            let started = ContinuousClock.now
            try await flasher.flash(plan, agentBoot: agent.bytes)
            let elapsed = ContinuousClock.now - started
            print("flashed \(plan.images.map { $0.kind.rawValue }.joined(separator: ", ")) "
                  + "(\(plan.totalBytes) bytes) on \(port) in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2))))")
        } catch {
            throw fail(error)
        }
    }

    private func makePlan(_ package: SocPackage) throws -> FlashPlan {
        guard !scripts.isEmpty else {
            guard scriptOnly else { return package.plan }
            guard let script = package.plan.script else {
                throw FirmwareError(file: soc, reason: "--script-only needs script files, and the .soc has no script.bin")
            }
            return try package.plan.scriptOnly(script.bytes, name: script.name, source: soc)
        }
        let settings = package.info.script
        let options = try package.scriptImageOptions()
        let image = try ScriptImageBuilder.build(paths: scripts, options: options)
        return scriptOnly
            ? try package.plan.scriptOnly(image.bytes, name: settings.file, source: soc)
            : try package.plan.withScript(image.bytes, name: settings.file, source: soc)
    }
}

/// The port could not be opened: the machine, not the board or the input (exit 3).
struct PortUnavailable: ProvisionFailure {
    let message: String
    var exitCode: Int32 { ProvisionExit.environmentError }
    var description: String { message }
}

/// What `--dry-run` prints.
struct FlashPlanReport {
    let plan: FlashPlan
    let agentBoot: AgentBoot
    let soc: String

    func text() -> String {
        var lines = ["plan for \(soc):"]
        lines.append("  AgentBoot  \(agentBoot.source)  \(agentBoot.bytes.count) bytes  sha256 \(agentBoot.sha256)"
                     + (agentBoot.knownBuild.map { "  (\($0.label))" } ?? "  (unknown build)"))
        for image in plan.images {
            let burn: String
            switch BurnAddressing.target(for: image) {
            case .success(let t): burn = "\(t.imageID) burn 0x\(hex(t.headerBurnAddress))"
            case .failure(let e): burn = "cannot burn: \(e.reason)"
            }
            lines.append("  \(image.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) "
                         + "\(image.name)  \(image.storage.rawValue) raw 0x\(hex(image.flashOffset))  "
                         + "\(image.size) bytes  sha256 \(image.sha256)  [\(burn)]")
        }
        let wire = WireEstimate.session(plan: plan, agentBootSize: agentBoot.bytes.count)
        lines.append("  total \(plan.totalBytes) image bytes; on the wire about \(wire.hostToDevice) bytes to the board, "
                     + "\(wire.deviceToHost) back")
        return lines.joined(separator: "\n")
    }

    private func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }
}

/// Progress lines on stdout: each phase, and each image in 10 % steps.
// @unchecked: `lastDecile` is only touched under `lock`.
final class ProgressPrinter: @unchecked Sendable {
    private let quiet: Bool
    private let lock = NSLock()
    private var lastDecile: [String: Int] = [:]

    init(quiet: Bool) { self.quiet = quiet }

    func show(_ event: FlashEvent) {
        guard !quiet else { return }
        switch event {
        case .phaseStarted(let phase) where phase == .romSync || phase == .agentBoot || phase == .reset:
            print("\(phase)…")
        case .imageStarted(let kind, let name, let size):
            print("\(kind.rawValue) \(name): \(size) bytes")
        case .progress(let kind, let done, let total, _, _):
            step(kind.rawValue, done, total)
        case .agentBootProgress(let done, let total):
            step("AgentBoot", done, total)
        case .retrying(let phase, let image, let offset, let reason):
            print("retry in \(phase) \(image?.rawValue ?? "") at \(offset ?? 0): \(reason)")
        case .verified(let kind, let bytes):
            print("\(kind.rawValue): read back, \(bytes) bytes match")
        case .refused(let phase, let image, let offset, let command):
            print("NAK of \(command) in \(phase) \(image?.rawValue ?? "") at \(offset ?? 0)")
        case .reset(let ok):
            print(ok ? "reset: ZzZzZzZz" : "reset: unexpected answer (the board may still reset)")
        default:
            break
        }
    }

    private func step(_ label: String, _ done: Int, _ total: Int) {
        let decile = total == 0 ? 10 : done * 10 / total
        let show = lock.withLock { () -> Bool in
            if lastDecile[label] == decile { return false }
            lastDecile[label] = decile
            return true
        }
        if show { print("\(label) \(decile * 10)%") }
    }
}
