import Firmware
import Foundation
import Links
import Synchronization

/// A whole simulated Air780E as the host sees it on a bus: download mode serving the ROM and
/// AgentBoot protocol; after SYS_RST it leaves the bus and comes back running, the LuatOS
/// runtime booting whatever its flash holds and writing log frames to x.2 and its virtual UART
/// to x.6; `AT+ECRST` plus the diag frame on x.2 send it back to download mode. The host
/// side (the station's real-board driver) cannot tell it from hardware except by speed.
public actor DeviceSideBoard {
    public struct Settings: Sendable {
        public var config = BoardConfig()
        public var timing: SimTiming = .fast
        /// Faults of the first download session (a later session is clean: the board was re-seated).
        public var faults: FaultPlan = .none
        public var identity: RuntimeIdentity
        /// Runtime settings; `sandboxDirectory` is the board's LittleFS root.
        public var runtime: RuntimeSettings
        /// Where the LuaDB sits in AP flash (the `.soc`'s script partition).
        public var scriptPartition: ScriptPartition
        /// The least time a reset keeps the board off the bus; the timing's re-enumeration figure
        /// for the mode it comes back in replaces it when longer (`offBus(comingBackIn:)`).
        public var resetGap: Duration = DeviceSideBoard.defaultResetGap
        /// Upper bound on one running session (a real board runs until it is unplugged).
        public var runLimit: Duration = .seconds(24 * 3600)
        /// What the board's flash held when it arrived (a board flashed earlier, e.g. for a
        /// re-flash or a test that starts it running); nil: never flashed.
        public var flash: SimulatedBoard.FlashContents?
        /// What the running firmware makes of the software boot entry (a fault unless `.honours`).
        public var bootEntry: BootEntryResponse = .honours

        public init(identity: RuntimeIdentity, runtime: RuntimeSettings, scriptPartition: ScriptPartition) {
            self.identity = identity
            self.runtime = runtime
            self.scriptPartition = scriptPartition
        }
    }

    /// What the board went through, for the test or the console that runs it.
    public enum Event: Sendable, Equatable {
        case downloadMode
        case flashed(programmedBytes: Int)
        case running(script: Bool)
        case resetRequested(toDownloadMode: Bool)
        /// The script reset the board (`rtos.reboot()`, `sys.restart()`), or its Lua VM ended
        /// on an error and the firmware rebooted it.
        case appRebooted
        /// The download session's link dropped (fault `disconnect-after`): the board is pulled.
        case unplugged
        case stopped
    }

    public enum Mode: Sendable { case download, running }

    /// Time between the SYS_RST answer and the board leaving the bus.
    public static let answerBeforeReset: Duration = .milliseconds(20)

    private let bus: any BoardBus
    private let settings: Settings
    private let onEvent: @Sendable (Event) -> Void
    private var flash: SimulatedBoard.FlashContents?
    private var sessions = 0

    public init(bus: any BoardBus, settings: Settings, onEvent: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.bus = bus
        self.settings = settings
        self.onEvent = onEvent
        self.flash = settings.flash
    }

    /// Runs the board's life from `mode` until the task is cancelled or a fault pulls it.
    public func run(from mode: Mode = .download) async {
        // Pulled from its slot: off the bus at once, so a port read waiting for its deadline
        // ends now rather than a read slice later (the operator's swap starts from here).
        let bus = self.bus
        await withTaskCancellationHandler {
            await live(from: mode)
        } onCancel: {
            Task { await bus.detach() }
        }
    }

    private func live(from mode: Mode) async {
        var next: Mode? = mode
        // A board plugged in takes its mode's enumeration time to appear (zero when fast).
        await simulatedPause(settings.timing.enumeration(of: mode))
        while let mode = next, !Task.isCancelled {
            do {
                switch mode {
                case .download: next = try await downloadSession()
                case .running: next = try await runningSession()
                }
            } catch {
                next = nil
            }
            if let comingBack = next {
                await bus.detach()
                try? await Task.sleep(for: settings.offBus(comingBackIn: comingBack))
            }
        }
        await bus.detach()
        onEvent(Task.isCancelled ? .stopped : .unplugged)
    }

    /// The flash as it is now (nil: never flashed in this run).
    public var contents: SimulatedBoard.FlashContents? { flash }

    private func downloadSession() async throws -> Mode? {
        let link = try await bus.presentDownloadMode()
        onEvent(.downloadMode)
        sessions += 1
        let board = SimulatedBoard(config: settings.config, timing: settings.timing,
                                   faults: sessions == 1 ? settings.faults : .none)
        if let flash { await board.preload(ap: flash.ap, cp: flash.cp) }
        while !Task.isCancelled {
            let outcome = await withTaskCancellationHandler {
                await board.serve(on: link)
            } onCancel: {
                Task { await link.close() }
            }
            switch outcome {
            case .reset:
                flash = await board.flash
                onEvent(.flashed(programmedBytes: await board.programmedBytes))
                // The chip resets a few milliseconds after its SYS_RST answer left.
                try? await Task.sleep(for: Self.answerBeforeReset)
                return .running
            case .faultDisconnected, .linkClosed:
                // A port that fails on the device side is a board off the bus (a host that merely
                // closes its tty leaves the device side waiting for the next session).
                return nil
            }
        }
        return nil
    }

    private func runningSession() async throws -> Mode? {
        let ports = try await bus.presentRunningMode()
        let files = flash.flatMap { try? LuatOSRuntime.scriptFiles(apFlash: $0.ap, partition: settings.scriptPartition) }
        if let flash { FlashRegionMount.mount(apFlash: flash.ap, sandbox: settings.runtime.sandboxDirectory) }
        onEvent(.running(script: files != nil))
        let socLog = LossyPortWriter(ports.socLog)
        let vuart = LossyPortWriter(ports.vuart)
        let runtime = LuatOSRuntime(
            files: files ?? [], identity: settings.identity, settings: settings.runtime,
            ports: RuntimePorts(socLog: { socLog.send($0) }, vuart: { vuart.send($0) }))
        let limit = settings.runLimit
        // The firmware boots before its first log line; the ports are already on the bus.
        await simulatedPause(settings.timing.bootToFirstLog)
        // The script may reset the board itself (`rtos.reboot()`): the chip leaves the bus then.
        let rebooted = Mutex(false)
        let booted = Task {
            let report = await runtime.run(for: limit)
            switch report.outcome {
            case .rebooted, .vmExited: rebooted.withLock { $0 = true }
            default: break
            }
            return report
        }
        defer {
            socLog.finish()
            vuart.finish()
        }
        // The runtime idles when the script is done; the board stays on the bus until it is reset.
        var listener = BootEntryListener()
        while !Task.isCancelled {
            let bytes: [UInt8]
            do {
                bytes = try await ports.socLog.read(maxCount: 4096, deadline: .now + .milliseconds(200))
            } catch LinkError.timeout {
                if rebooted.withLock({ $0 }) {
                    onEvent(.appRebooted)
                    _ = await booted.value
                    return .running
                }
                continue
            } catch {
                // The port was torn down under us (bus detached from outside).
                await runtime.stop()
                _ = await booted.value
                return nil
            }
            if settings.bootEntry == .ignoresEverything { continue }
            guard let reset = listener.feed(bytes) else { continue }
            // `AT+ECRST=delay,N`: the diag frame that selects download mode may still arrive
            // before the reset, so the port is read until then.
            let resetAt = ContinuousClock.now + .milliseconds(reset.delayMs)
            while ContinuousClock.now < resetAt {
                guard let more = try? await ports.socLog.read(maxCount: 4096, deadline: resetAt) else { break }
                _ = listener.feed(more)
            }
            let toDownload = listener.downloadModeRequested && settings.bootEntry != .ignoresDownloadFrame
            onEvent(.resetRequested(toDownloadMode: toDownload))
            await runtime.stop()
            _ = await booted.value
            if settings.bootEntry == .staysOffBusAfterReset { return nil }
            return toDownload ? .download : .running
        }
        await runtime.stop()
        _ = await booted.value
        return nil
    }
}

/// Writes a port's bytes in order without ever blocking the runtime: a USB port nobody reads
/// fills up, and a real module drops its log output then rather than stalling the script.
final class LossyPortWriter: Sendable {
    private let continuation: AsyncStream<[UInt8]>.Continuation

    init(_ link: any ByteLink, keep chunks: Int = 512) {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(chunks))
        self.continuation = continuation
        Task {
            for await bytes in stream {
                try? await link.write(bytes)
            }
        }
    }

    func send(_ bytes: [UInt8]) { continuation.yield(bytes) }
    func finish() { continuation.finish() }
}
