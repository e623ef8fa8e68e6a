import ArgumentParser
import BoardSim
import Dispatch
import Firmware
import Foundation
import Links
import Vocabulary

/// `provision sim gadget`: a whole simulated Air780E on a real USB bus, through a configfs gadget
/// on a UDC (`dummy_hcd` in the kernel tier): download mode `17D1:0001`, and after SYS_RST the
/// running board `19D1:0001` with its ports on interfaces 2, 4 and 6, running what was flashed.
/// The host side of the same kernel sees real enumeration, `cdc_acm` ttys and uevents.
struct SimGadget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gadget",
        abstract: "Run a simulated board as a USB gadget (configfs, e.g. on dummy_hcd): download mode, reset, running ports.",
        discussion: """
            Needs root, configfs on /sys/kernel/config, libcomposite, usb_f_acm and usb_f_fs, and a UDC \
            (modprobe dummy_hcd). Prints one line per board event to stderr. Runs until SIGTERM/SIGINT, or \
            until a fault pulls the board off the bus; the gadgets are removed on the way out.

            Download function: acm (the host gets /dev/ttyACM<n> through cdc_acm; flash with --link tty) or \
            ffs (a vendor bulk interface served through FunctionFS; flash with --link usb, libusb).

            Faults (first download session only): the SPEC of `provision sim board`, e.g. \
            disconnect-after=60000 unbinds the gadget after 60000 host bytes (the board is yanked).
            """)

    @Option(help: "The USB device controller to bind to (default: the first in /sys/class/udc).")
    var udc: String?

    @Option(name: .customLong("download-function"), help: "How download mode shows its port: acm or ffs.")
    var downloadFunction: DownloadFunctionChoice = .acm

    @Option(help: "Faults to inject in the first download session (see `provision sim board --help`).")
    var faults: String?

    @Option(name: .customLong("board-number"), help: "Board number: its IMEI/ICCID and the gadget names derive from it.")
    var boardNumber = 1

    @Option(help: "Timing model: fast or realistic.")
    var timing: SimBoard.TimingChoice = .fast

    @Option(name: .customLong("script-partition-from"),
            help: "The .soc whose script partition the runtime boots from (default: the synthetic package's).")
    var scriptPartitionFrom: String?

    @Option(help: "The mode the board starts in: download or running (running with a blank flash: no script).")
    var from: StartMode = .download

    @Option(name: .customLong("attach-ms"), help: "Simulated 4G attach time after boot (default: 200 fast, 3000 realistic).")
    var attachMilliseconds: Int?

    @Option(name: .customLong("reset-gap-ms"), help: "How long a reset keeps the board off the bus.")
    var resetGapMilliseconds = 300

    @Option(help: "Folder standing in for the board's file system (default: a fresh temporary folder).")
    var sandbox: String?

    enum DownloadFunctionChoice: String, ExpressibleByArgument, CaseIterable {
        case acm, ffs
        var function: ConfigfsGadgetBus.DownloadFunction { self == .acm ? .acm : .ffs }
    }

    enum StartMode: String, ExpressibleByArgument, CaseIterable {
        case download, running
        var mode: DeviceSideBoard.Mode { self == .download ? .download : .running }
    }

    /// Checked in `run` rather than ArgumentParser's `validate`, whose refusals span several
    /// lines: every bad option here is one `provision:` line and exit 2.
    private func validateOptions() throws(OptionError) {
        try OptionBounds.check(boardNumber, "--board-number", OptionBounds.boardNumber, "")
        try OptionBounds.check(resetGapMilliseconds, "--reset-gap-ms", OptionBounds.pauseMilliseconds, "ms")
        if let attachMilliseconds {
            try OptionBounds.check(attachMilliseconds, "--attach-ms", OptionBounds.pauseMilliseconds, "ms")
        }
    }

    func run() async throws {
        do { try validateOptions() } catch { throw fail(error) }
        let faultPlan: FaultPlan
        do { faultPlan = try FaultPlan(spec: faults ?? "") } catch { throw fail(SimInputError(message: error.description)) }
        let partition: ScriptPartition
        do {
            partition = try scriptPartitionFrom.map { try SocPackage.open(path: $0).plan.scriptPartition }
                ?? SocPackage(bytes: SyntheticSoc().make(), path: "synthetic.soc").plan.scriptPartition
        } catch {
            throw fail(error)
        }
        guard let udc = udc ?? ConfigfsGadgetBus.controllers().first else {
            throw fail(GadgetUnavailable(message: "no USB device controller in /sys/class/udc (modprobe dummy_hcd?)"))
        }
        if let reason = ConfigfsGadgetBus.unavailableReason(udc: udc) {
            throw fail(GadgetUnavailable(message: reason))
        }
        let sandboxPath = sandbox ?? NSTemporaryDirectory() + "provision-gadget-\(boardNumber)-\(getpid())"
        let label = "sim gadget \(boardNumber) [\(udc)]"
        let say: @Sendable (String) -> Void = { line in
            FileHandle.standardError.write(Data("\(label): \(line)\n".utf8))
        }

        var busConfig = ConfigfsGadgetBus.Configuration(udc: udc, tag: "b\(boardNumber)")
        busConfig.downloadFunction = downloadFunction.function
        let downloadName = busConfig.downloadFunction.rawValue
        let (downloadID, runningID) = (busConfig.downloadID, busConfig.runningID)
        let bus = ConfigfsGadgetBus(busConfig) { shape in
            switch shape {
            case .download(let port):
                say("bus: download mode \(downloadID) (\(downloadName), board side \(port))")
            case .running(let socLog, let trace, let vuart):
                say("bus: running \(runningID) (x.2 \(socLog), x.4 \(trace), x.6 \(vuart))")
            case .detached:
                say("bus: detached")
            }
        }

        var runtime = RuntimeSettings(sandboxDirectory: sandboxPath)
        runtime.attachDelay = .milliseconds(attachMilliseconds ?? (timing == .fast ? 200 : 3000))
        runtime.firmwareBuild = FirmwareBuild(scriptRegionBytes: partition.capacity)
        var settings = DeviceSideBoard.Settings(identity: .simulated(boardNumber), runtime: runtime, scriptPartition: partition)
        settings.timing = timing.model
        settings.faults = faultPlan
        settings.resetGap = .milliseconds(resetGapMilliseconds)
        let board = DeviceSideBoard(bus: bus, settings: settings) { event in say(Self.describe(event)) }
        say("starting in \(from.rawValue) mode, faults \(faultPlan), identity imei \(RuntimeIdentity.simulated(boardNumber).imei)")

        let life = Task { await board.run(from: from.mode) }
        let stop: @Sendable () -> Void = { life.cancel() }
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig)
            source.setEventHandler(handler: stop)
            source.resume()
            sources.append(source)
        }
        await life.value
        await bus.teardown()
        if sandbox == nil { try? FileManager.default.removeItem(atPath: sandboxPath) }
        say("gadgets removed")
        sources.forEach { $0.cancel() }
    }

    static func describe(_ event: DeviceSideBoard.Event) -> String {
        switch event {
        case .downloadMode: return "event: download mode"
        case .flashed(let bytes): return "event: reset after flashing (\(bytes) bytes programmed)"
        case .running(let script): return "event: running (\(script ? "script found" : "no script"))"
        case .resetRequested(let toDownload): return "event: reset requested\(toDownload ? " into download mode" : "")"
        case .appRebooted: return "event: the script reset the board"
        case .unplugged: return "event: unplugged (off the bus)"
        case .stopped: return "event: stopped"
        }
    }
}

/// This machine cannot host a gadget (exit 3).
struct GadgetUnavailable: ProvisionFailure {
    let message: String
    var exitCode: Int32 { ProvisionExit.environmentError }
    var description: String { message }
}
