import BoardSim
import EC618
import Foundation
import Hotplug
import SimulatedLine
import Station
import Synchronization
import Testing
import Vocabulary

/// The driver's boot entry against device-side boards behind pseudo-terminals that fail it in
/// each way a real board can: every strategy is tried in order, and the failure says what the
/// bus showed (`BootEntryDiagnosis`).
@Suite(.serialized) struct BootEntryDriverTests {
    typealias Rig = HardwareDriverTests.Rig

    /// One sending strategy with a short deadline: what the rig's boards need, and no more. The
    /// reset delay leaves the diag frame time to arrive on a busy machine (it must come before
    /// the reset, as on a real board).
    static let software = BootEntrySequence.Strategy(
        name: "software",
        action: .send([.init(bytes: Array("AT+ECRST=delay,400\r\n".utf8), wait: .milliseconds(20)),
                       .init(bytes: [0x7E, 0x00, 0x02, 0x7E], wait: .zero)]),
        deadline: .milliseconds(3000))

    /// A running board that treats the boot entry as `response`: runs the driver's boot entry on
    /// it and returns its failure (nil when download mode was reached) and the driver's events.
    private func enter(_ rig: Rig, number: Int, response: BootEntryResponse)
        async throws -> (failure: StepFailure?, events: [StationEvent.Kind]) {
        let slot = Slot(path: PhysicalPath("1-4.\(number)")!, label: "D\(number)")
        let (reports, sink) = AsyncStream.makeStream(of: SlotReport.self)
        let devices = SlotDevices(slot: slot)
        let router = Task { for await report in reports { await devices.update(report) } }
        let device = rig.board(number: number, slot: slot, reports: sink, bootEntry: response)
        let life = Task { await device.run(from: .running) }
        let link = rig.line.link
        try #require(await devices.wait(until: .now + .seconds(5)) { $0.isReady(for: link) } != nil)
        let events = Mutex<[StationEvent.Kind]>([])
        let board = HardwareSlotBoard(devices: devices, line: rig.line, boardID: "be-\(number)",
                                      events: { kind in events.withLock { $0.append(kind) } })
        var failure: StepFailure?
        do { try await board.enterDownloadMode() } catch let f as StepFailure { failure = f }
        await board.release()
        life.cancel()
        await life.value
        sink.finish()
        await router.value
        return (failure, events.withLock { $0 })
    }

    private func diagnosis(of response: BootEntryResponse, link: BoardLinkKind = .tty, number: Int)
        async throws -> (StepFailure, BootEntryDiagnosis) {
        let rig = try await Rig.make(link: link, bootEntry: BootEntrySequence(strategies: [Self.software]))
        defer { Task { await rig.close() } }
        let (failure, _) = try await enter(rig, number: number, response: response)
        let f = try #require(failure)
        #expect(f.failureClass == FailureClass.bootEntryFailed)
        #expect(f.retryable)
        let d = try #require(f.bootEntry?.diagnosis)
        #expect(f.detail.contains(d.description), "\(f.detail)")
        return (f, d)
    }

    @Test func aBoardThatHonoursTheBootEntryNeedsNoFallback() async throws {
        let rig = try await Rig.make(bootEntry: BootEntrySequence(strategies: [Self.software]))
        defer { Task { await rig.close() } }
        let (failure, events) = try await enter(rig, number: 1, response: .honours)
        #expect(failure == nil, "\(String(describing: failure))")
        #expect(events == [.bootEntryStrategy(.enterDownloadMode, name: "software")])
    }

    @Test func aBoardThatIgnoresX2EntirelyIsDiagnosedAsNeverAnswering() async throws {
        let (_, d) = try await diagnosis(of: .ignoresEverything, number: 2)
        #expect(d == .socLogNeverAnswered(reason: nil))
    }

    @Test func aBoardThatResetsAndStaysAwayIsDiagnosedAsGone() async throws {
        let (_, d) = try await diagnosis(of: .staysOffBusAfterReset, number: 3)
        #expect(d == .leftAndNeverCameBack)
    }

    @Test func aBoardThatIgnoresTheDiagFrameIsDiagnosedAsBackRunning() async throws {
        let (_, d) = try await diagnosis(of: .ignoresDownloadFrame, number: 4)
        #expect(d == .cameBackRunning)
    }

    @Test func downloadModeWithoutTheLinksPortIsDiagnosedAsSuch() async throws {
        // A pty bus shows download mode with a tty but no USB device node: a usb link cannot use it.
        let (_, d) = try await diagnosis(of: .honours, link: .usb, number: 5)
        #expect(d == .downloadModeWithoutPort(link: "usb"))
    }

    @Test func everyStrategyIsTriedInOrderAndTheOperatorIsAsked() async throws {
        let slow = BootEntrySequence.Strategy(name: "software-slow", action: Self.software.action,
                                              deadline: .milliseconds(1500))
        let ask = BootEntrySequence.Strategy(name: "operator", action: .askOperator(prompt: "hold BOOT, press RESET"),
                                             deadline: .milliseconds(300))
        let rig = try await Rig.make(bootEntry: BootEntrySequence(strategies: [Self.software, slow, ask]))
        defer { Task { await rig.close() } }
        let (failure, events) = try await enter(rig, number: 6, response: .ignoresDownloadFrame)
        let f = try #require(failure)
        #expect(f.bootEntry?.attempts == [.init(strategy: "software", diagnosis: .cameBackRunning),
                                          .init(strategy: "software-slow", diagnosis: .cameBackRunning),
                                          .init(strategy: "operator", diagnosis: .operatorDidNotAct)])
        // The operator's silence says nothing of why the software entry failed.
        #expect(f.bootEntry?.diagnosis == .cameBackRunning)
        #expect(events == [.bootEntryStrategy(.enterDownloadMode, name: "software"),
                           .bootEntryStrategy(.enterDownloadMode, name: "software-slow"),
                           .bootEntryStrategy(.enterDownloadMode, name: "operator"),
                           .operatorAction(.enterDownloadMode, prompt: "hold BOOT, press RESET")])
    }

    @Test func theOperatorsBootPressEndsTheWait() async throws {
        // No device side: the slot's reports are the test's, and the "operator" puts the board
        // into download mode when the prompt is shown.
        let ask = BootEntrySequence.Strategy(name: "operator", action: .askOperator(prompt: "press BOOT"),
                                             deadline: .seconds(20))
        let rig = try await Rig.make(bootEntry: BootEntrySequence(strategies: [ask]))
        defer { Task { await rig.close() } }
        let slot = Slot(path: PhysicalPath("1-4.7")!, label: "D7")
        let devices = SlotDevices(slot: slot)
        await devices.update(.download(DownloadBoard(slot: slot, usbDevnode: "/dev/bus/usb/001/002", port: nil)))
        let board = HardwareSlotBoard(devices: devices, line: rig.line, boardID: "be-7", events: { kind in
            if case .operatorAction = kind {
                Task { await devices.update(.download(DownloadBoard(slot: slot, usbDevnode: nil, port: "/dev/null"))) }
            }
        })
        let started = ContinuousClock.now
        try await board.enterDownloadMode()
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
