import Foundation
import Hotplug
import Links
import Testing

extension UMockdevTests {
/// Real libusb (usbfs ioctls) against a umockdev device whose bulk endpoints the Python
/// helper serves: byte streams across 16 KiB URBs, deadlines, unplug.
@Suite struct USBLinks {
    @Test func bytesCrossURBBoundariesUnchanged() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("board 1-1.3 download pump=echo")
        let link = try await USBLink.open(path: "1-1.3")
        // 40 000 bytes: several 16 KiB URBs out, and reads that split them differently.
        let payload = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        try await link.write(payload)
        let back = try await link.read(exactly: payload.count, deadline: .now + .seconds(5))
        let same = back == payload
        #expect(back.count == payload.count)
        #expect(same, "bytes came back changed or reordered")
        // Small reads take from what already arrived, in order.
        try await link.write([1, 2, 3, 4, 5])
        let first = try await link.read(maxCount: 2, deadline: .now + .seconds(2))
        let rest = try await link.read(exactly: 5 - first.count, deadline: .now + .seconds(2))
        #expect(first + rest == [1, 2, 3, 4, 5])
        await link.close()
        await #expect(throws: LinkError.closed(link: "usb 1-1.3")) {
            try await link.write([0])
        }
    }

    @Test func readWithNothingToReadEndsAtItsDeadline() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("board 1-1.3 download pump=echo")
        let link = try await USBLink.open(path: "1-1.3")
        let start = ContinuousClock.now
        await #expect(throws: LinkError.timeout(link: "usb 1-1.3")) {
            try await link.read(maxCount: 64, deadline: start + .milliseconds(300))
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(300))
        // A bound that fails a read that hangs, not one slowed by a busy machine.
        #expect(elapsed < .seconds(10))
        await link.close()
    }

    @Test func unplugMidTransferIsATypedErrorBeforeTheDeadline() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("board 1-1.3 download pump=echo")
        let link = try await USBLink.open(path: "1-1.3")
        let start = ContinuousClock.now
        let reading = Task { try await link.read(maxCount: 64, deadline: start + .seconds(10)) }
        try tb.send("unplug 1-1.3")
        await #expect(throws: LinkError.unplugged(link: "usb 1-1.3")) { try await reading.value }
        #expect(ContinuousClock.now - start < .seconds(10))
        await #expect(throws: LinkError.unplugged(link: "usb 1-1.3")) { try await link.write([1]) }
        await link.close()
    }

    @Test func absentPathIsUnplugged() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("board 1-1.3 download pump=echo")
        await #expect(throws: LinkError.unplugged(link: "usb 1-1.9")) {
            _ = try await USBLink.open(path: "1-1.9")
        }
    }

    @Test func runningBoardOpensTheRequestedFunction() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("board 1-1.4 running pump=echo")
        let link = try await USBLink.open(path: "1-1.4", commInterface: 2)
        try await link.write(Array("AT\r\n".utf8))
        #expect(try await link.read(exactly: 4, deadline: .now + .seconds(2)) == Array("AT\r\n".utf8))
        let stats = UMockdevTestbed.fields(try tb.send("usbstats 1-1.4"))
        #expect(stats["out_eps"] == "02", "x.2's data interface 3 has bulk OUT 0x02 in the testbed's descriptors")
        // CDC SET_CONTROL_LINE_STATE, DTR on, to comm interface 2.
        #expect(stats["controls"] == "2122010002000000")
        await link.close()
        await #expect(throws: LinkError.self) { _ = try await USBLink.open(path: "1-1.4", commInterface: 12) }
    }
}
}
