import BoardSim
import EC618
import Firmware
import Foundation
import Synchronization
import Links
import Testing

extension UMockdevTests {
/// The unchanged flasher over real libusb and real termios, to the simulated EC618 board
/// behind umockdev: the USB device's bulk endpoints (or its tty) are pumped by the Python
/// helper to and from the board's pseudo-terminal.
@Suite struct FlashThroughLinks {
    static func package() throws -> SocPackage {
        var soc = SyntheticSoc()
        soc.sizes = .small
        return try SocPackage(bytes: soc.make(), path: "synthetic.soc")
    }

    /// Images not found byte for byte at their flash offsets.
    static func misplaced(_ flash: SimulatedBoard.FlashContents, _ plan: FlashPlan) -> [String] {
        plan.images.compactMap { image in
            let chip = image.storage == .cpFlash ? flash.cp : flash.ap
            let at = Int(image.flashOffset)
            guard at + image.size <= chip.count else { return "\(image.name): beyond the chip" }
            return chip[at..<(at + image.size)].elementsEqual(image.bytes) ? nil : "\(image.name) at 0x\(String(at, radix: 16))"
        }
    }

    /// Flashes `plan` over `link` while the board serves on `pty`; returns the board.
    static func flash(_ plan: FlashPlan, agentBoot: [UInt8], over link: any ByteLink,
                      board: SimulatedBoard, pty: PseudoTerminal) async throws -> SimulatedBoard.Outcome {
        async let outcome = board.serve(on: pty.deviceLink)
        do {
            try await Flasher(link: link, settings: .fastTests).flash(plan, agentBoot: agentBoot)
        } catch {
            await link.close()
            await pty.close()
            _ = await outcome
            throw error
        }
        await link.close()
        return await outcome
    }

    @Test func socFlashesCompletelyOverUSBLink() async throws {
        // Before the testbed: with UMOCKDEV_DIR set, the preload answers ioctls on /dev/ptmx.
        let pty = try PseudoTerminal.open()
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let package = try Self.package()
        let plan = try package.plan.withScript(Array(repeating: 0x5C, count: 20_000), source: "test")
        try tb.send("board 1-1.3 download pump=fd:\(pty.path)")
        let board = SimulatedBoard()
        let link = try await USBLink.open(path: "1-1.3")
        let start = ContinuousClock.now
        let outcome = try await Self.flash(plan, agentBoot: try package.requireAgentBoot().bytes,
                                           over: link, board: board, pty: pty)
        print("figure: USBLink (umockdev usbfs) flashed \(plan.totalBytes) bytes in \(ContinuousClock.now - start)")
        #expect(outcome == .reset)
        #expect(Self.misplaced(await board.flash, plan).isEmpty)
        #expect(await board.refusals.isEmpty)
        let stats = UMockdevTestbed.fields(try tb.send("usbstats 1-1.3"))
        #expect(Int(stats["out_bytes"] ?? "") ?? 0 > plan.totalBytes, "the images crossed usbfs bulk OUT")
        await pty.close()
    }

    @Test func socFlashesCompletelyOverSerialLink() async throws {
        // Before the testbed: with UMOCKDEV_DIR set, the preload answers ioctls on /dev/ptmx.
        let pty = try PseudoTerminal.open()
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let package = try Self.package()
        let plan = package.plan
        let port = try #require(UMockdevTestbed.fields(try tb.send("board 1-1.3 download"))["tty0"])
        try tb.send("bridge 1-1.3 0 \(pty.path)")
        let board = SimulatedBoard()
        let start = ContinuousClock.now
        let outcome = try await Self.flash(plan, agentBoot: try package.requireAgentBoot().bytes,
                                           over: try SerialLink.open(path: port), board: board, pty: pty)
        print("figure: SerialLink (umockdev tty) flashed \(plan.totalBytes) bytes in \(ContinuousClock.now - start)")
        #expect(outcome == .reset)
        #expect(Self.misplaced(await board.flash, plan).isEmpty)
        await pty.close()
    }

    @Test func unplugMidFlashFailsWithTheTypedErrorInTime() async throws {
        // Before the testbed: with UMOCKDEV_DIR set, the preload answers ioctls on /dev/ptmx.
        let pty = try PseudoTerminal.open()
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let package = try Self.package()
        try tb.send("board 1-1.3 download pump=fd:\(pty.path)")
        let board = SimulatedBoard()
        async let outcome = board.serve(on: pty.deviceLink)
        let link = try await USBLink.open(path: "1-1.3")
        let settings = FlasherSettings.fastTests
        let unplugged = UnplugOnce()
        let flasher = Flasher(link: link, settings: settings) { event in
            if case .progress(_, _, _, let done, _) = event, done > 32 * 1024 { unplugged.fire { _ = try? tb.send("unplug 1-1.3") } }
        }
        let agentBoot = try package.requireAgentBoot().bytes
        let start = ContinuousClock.now
        var caught: FlashError?
        do { try await flasher.flash(package.plan, agentBoot: agentBoot) } catch { caught = error }
        let elapsed = ContinuousClock.now - start
        await link.close()
        await pty.close()
        _ = await outcome
        let error = try #require(caught, "the flash must fail once the device is gone")
        #expect(error.cause == .link(.unplugged(link: "usb 1-1.3")))
        #expect(unplugged.fired)
        #expect(elapsed < settings.worstCaseStall, "noticed without waiting out every retry")
    }
}
}

/// Runs an action once, from whichever thread asks first.
final class UnplugOnce: Sendable {
    private let done = Mutex(false)
    func fire(_ action: () -> Void) {
        let first = done.withLock { d -> Bool in defer { d = true }; return !d }
        if first { action() }
    }
    var fired: Bool { done.withLock { $0 } }
}
