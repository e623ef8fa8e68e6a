import EC618
import Firmware
import Foundation
import Hotplug
import Links
import Testing

extension UMockdevTests {
/// termios `SerialLink` on a umockdev tty (backed by a pty the helper holds the other end of),
/// and the software boot entry against a simulated running board.
@Suite struct SerialAndBootEntry {
    @Test func serialLinkCarriesRawBytesBothWays() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let port = try #require(UMockdevTestbed.fields(try tb.send("board 1-1.3 download"))["tty0"])
        try tb.send("listen 1-1.3 0")
        let link = try SerialLink.open(path: port, baud: 921_600)
        // Bytes a cooked tty would alter: CR, LF, XON/XOFF, ^C, 0xFF, the 0x7E frame marks.
        let frame: [UInt8] = [0x7E, 0x00, 0x0D, 0x0A, 0x11, 0x13, 0x03, 0xFF, 0x7E]
        try await link.write(frame)
        var collected = ""
        for _ in 0..<100 where collected != "7e000d0a111303ff7e" {
            collected = try tb.send("collected 1-1.3 0")
            if collected != "7e000d0a111303ff7e" { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(collected == "7e000d0a111303ff7e")
        try tb.send("say 1-1.3 0 0d0a4f4b0d0a")
        #expect(try await link.read(exactly: 6, deadline: .now + .seconds(2)) == Array("\r\nOK\r\n".utf8))
        let start = ContinuousClock.now
        await #expect(throws: LinkError.timeout(link: port)) {
            try await link.read(maxCount: 16, deadline: start + .milliseconds(200))
        }
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        await link.close()
    }

    @Test func softwareBootEntryBringsTheSlotBackInDownloadMode() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let profile = try BootEntryTests.profile
        let sequence = BootEntrySequence(profile: profile)
        let path = PhysicalPath("1-1.3")!
        try tb.send("board 1-1.3 running")
        // The simulated board resets into download mode once the whole sequence has arrived.
        try tb.send("bootsim 1-1.3 \(sequence.bytes.map { String(format: "%02x", $0) }.joined()) 50")

        let log = ReportLog()
        await log.start(try SlotWatcher.reports(WatchSettings(
            identity: BoardUSBIdentity(profile: profile), labels: SlotLabels([path: "A1"]))))
        defer { Task { await log.stop() } }
        guard case .running(let running)? = await log.next() else { Issue.record("no running board"); return }
        let x2 = try #require(running.ports[.socLog])

        let board = try await SoftwareBootEntry.enter(
            over: try SerialLink.open(path: x2, baud: profile.runtimeBaud), sequence: sequence, slot: "A1",
            awaitDownloadMode: { deadline -> DownloadBoard? in
                while let report = await log.next(within: deadline - .now) {
                    if case .download(let board) = report, board.slot.path == path { return board }
                }
                return nil
            },
            sleep: { _ in })  // the pauses are checked in BootEntryTests; here the bytes and the slot
        #expect(board.slot.label == "A1")
        #expect(board.port != nil)
        let sent = try tb.send("collected 1-1.3 2")
        #expect(sent == sequence.bytes.map { String(format: "%02x", $0) }.joined(),
                "the board received exactly the profile's bytes")
    }
}
}
