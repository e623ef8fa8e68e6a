import ArgumentParser
import Firmware
import Foundation
import Hotplug
import Vocabulary

extension MonitorSource: ExpressibleByArgument {}

/// `provision watch`: the station's view of its slots, live — the boards already present,
/// then every arrival, shape change and departure.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show boards as the station sees them: one line per slot event, boards already present first.",
        discussion: """
            A slot is a physical USB path (e.g. 1-1.3), so identical boards on one hub stay apart and a \
            board keeps its slot while it resets between download mode (17D1) and running mode (19D1). \
            Runs until Ctrl-C unless --count or --for is given.
            """)

    @Flag(help: "One JSON object per line: event (appeared/gone), slot, path, mode (download/running/unknown/gone), complete, usb, ports by role, message (unknown shape).")
    var json = false

    @Option(name: .customLong("label"), help: ArgumentHelp("Name a slot: PATH=LABEL (repeatable).", valueName: "1-1.3=A1"))
    var labels: [String] = []

    @OptionGroup var boardProfile: BoardProfileOption

    @Option(help: "Event source: udev (after udevd's rules) or kernel (no udevd needed). Default: udev when udevd runs, else kernel.")
    var source: MonitorSource?

    @Option(name: .customLong("debounce-ms"), help: "How long a half-enumerated board may take before it is shown incomplete.")
    var debounceMilliseconds = 3000

    @Option(help: "Stop after this many events.")
    var count: Int?

    @Option(name: .customLong("for"), help: "Stop after this many seconds.")
    var seconds: Double?

    /// Checked in `run` rather than ArgumentParser's `validate`, whose refusals span several
    /// lines. Returns `--for` in milliseconds: `Int(seconds * 1000)` trapped on 1e300 or inf.
    private func validateOptions() throws(OptionError) -> Int? {
        if let count { try OptionBounds.check(count, "--count", OptionBounds.eventCount, "events") }
        try OptionBounds.check(debounceMilliseconds, "--debounce-ms", OptionBounds.pauseMilliseconds, "ms")
        return try seconds.map { s throws(OptionError) in try OptionBounds.milliseconds(fromSeconds: s, "--for") }
    }

    func run() async throws {
        let forMilliseconds: Int?
        do { forMilliseconds = try validateOptions() } catch { throw fail(error) }
        let settings: WatchSettings
        let stream: AsyncThrowingStream<SlotReport, Error>
        do {
            settings = WatchSettings(
                source: source ?? (SystemProbe.udevdRunning ? .udev : .kernel), identity: BoardUSBIdentity(profile: try boardProfile.load()),
                labels: try SlotLabels.parse(labels), debounce: .milliseconds(debounceMilliseconds))
            stream = try SlotWatcher.reports(settings)
        } catch let error as SlotLabelError {
            throw fail(WatchInputError(message: error.description))
        } catch let error as HotplugError {
            throw fail(WatchEnvironmentError(message: error.description))
        } catch {
            throw fail(error)
        }
        let render: @Sendable (SlotReport) -> String = json ? SlotReportJSON.line : SlotReportText.line
        let limit = count
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var shown = 0
                    for try await report in stream {
                        FileHandle.standardOutput.write(Data((render(report) + "\n").utf8))
                        shown += 1
                        if let limit, shown >= limit { return }
                    }
                }
                if let forMilliseconds {
                    group.addTask { try await Task.sleep(for: .milliseconds(forMilliseconds)) }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch is CancellationError {
        } catch {
            throw fail(WatchEnvironmentError(message: "\(error)"))
        }
    }
}

/// A bad `--label`.
struct WatchInputError: ProvisionFailure {
    let message: String
    var exitCode: Int32 { ProvisionExit.inputError }
    var description: String { message }
}

/// libudev could not be used here.
struct WatchEnvironmentError: ProvisionFailure {
    let message: String
    var exitCode: Int32 { ProvisionExit.environmentError }
    var description: String { message }
}

/// The plain line: label, path, mode, ports by role.
enum SlotReportText {
    static func line(_ report: SlotReport) -> String {
        let head = report.slot.label.padding(toLength: max(8, report.slot.label.count), withPad: " ", startingAt: 0)
            + " " + report.slot.path.rawValue.padding(toLength: max(8, report.slot.path.rawValue.count), withPad: " ", startingAt: 0)
        switch report {
        case .download(let board):
            return "\(head) download \(board.port.map { "port=\($0)" } ?? "port=-")"
                + (board.usbDevnode.map { " usb=\($0)" } ?? "") + (board.complete ? "" : " (no tty yet)")
        case .running(let board):
            let ports = PortRole.allCases.compactMap { role in board.ports[role].map { "\(role.rawValue)=\($0)" } }
            return "\(head) running  \(ports.joined(separator: " "))" + (board.complete ? "" : " (incomplete)")
        case .gone:
            return "\(head) gone"
        case .unknownShape(let board):
            return "\(head) unknown  \(board.message)"
        }
    }
}

/// One JSON object per report; keys sorted so lines are stable.
enum SlotReportJSON {
    struct Line: Encodable {
        let event: String
        let slot: String
        let path: String
        let mode: String
        let complete: Bool
        let usb: String?
        let ports: [String: String]
        /// Why the device is not used (unknown shape only).
        let message: String?
    }

    static func line(_ report: SlotReport) -> String {
        let value: Line
        switch report {
        case .download(let b):
            value = Line(event: "appeared", slot: b.slot.label, path: b.slot.path.rawValue, mode: "download",
                         complete: b.complete, usb: b.usbDevnode, ports: b.port.map { ["download": $0] } ?? [:],
                         message: nil)
        case .running(let b):
            value = Line(event: "appeared", slot: b.slot.label, path: b.slot.path.rawValue, mode: "running",
                         complete: b.complete, usb: b.usbDevnode,
                         ports: Dictionary(uniqueKeysWithValues: b.ports.map { ($0.key.rawValue, $0.value) }),
                         message: nil)
        case .gone(let slot):
            value = Line(event: "gone", slot: slot.label, path: slot.path.rawValue, mode: "gone", complete: true,
                         usb: nil, ports: [:], message: nil)
        case .unknownShape(let b):
            // Its ttys have no role; they are named in the message.
            value = Line(event: "appeared", slot: b.slot.label, path: b.slot.path.rawValue, mode: "unknown",
                         complete: true, usb: b.usbDevnode, ports: [:], message: b.message)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
