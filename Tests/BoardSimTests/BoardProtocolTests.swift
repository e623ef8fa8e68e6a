import BoardSim
import EC618
import Firmware
import Links
import Testing

/// The simulated board's side of the protocol, driven by hand over an in-memory link.
@Suite("Simulated board protocol")
struct BoardProtocolTests {
    /// A board serving on one end of a fresh link; the test speaks on the other end.
    static func connected(_ config: BoardConfig = BoardConfig()) -> (MemoryLink, Task<SimulatedBoard.Outcome, Never>) {
        let (host, device) = MemoryLink.pair(name: "hand")
        let board = SimulatedBoard(config: config)
        return (host, Task { await board.serve(on: device) })
    }

    static func exchange(_ link: MemoryLink, _ request: RequestFrame, _ framing: Framing) async throws -> [UInt8] {
        try await link.write(request.encode(framing))
        let deadline = ContinuousClock.now + .seconds(2)
        let head = try await link.read(exactly: ResponseFrame.headSize, deadline: deadline)
        return head + (try await link.read(exactly: ResponseFrame.bytesAfterHead(head, framing: framing), deadline: deadline))
    }

    @Test("one echo per burst of two sync words")
    func oneEchoPerBurst() async throws {
        let (host, serving) = Self.connected()
        try await host.write(SyncWord.dlboot.bytes + SyncWord.dlboot.bytes)
        #expect(try await host.read(exactly: 4, deadline: .now + .seconds(2)) == SyncWord.dlboot.bytes)
        await #expect(throws: LinkError.timeout(link: "hand")) {
            try await host.read(maxCount: 16, deadline: .now + .milliseconds(60))
        }
        // The ROM does not answer AgentBoot syncs.
        try await host.write(SyncWord.agboot.bytes + SyncWord.agboot.bytes)
        await #expect(throws: LinkError.timeout(link: "hand")) {
            try await host.read(maxCount: 16, deadline: .now + .milliseconds(60))
        }
        await host.close()
        _ = await serving.value
    }

    @Test("the ROM refuses data it did not offer and frames whose sum is wrong")
    func romIsStrict() async throws {
        let (host, serving) = Self.connected()
        try await host.write(SyncWord.dlboot.bytes + SyncWord.dlboot.bytes)
        _ = try await host.read(exactly: 4, deadline: .now + .seconds(2))
        let unoffered = try await Self.exchange(host, RequestFrame(.downloadData, payload: [1, 2, 3]), .plain)
        #expect(unoffered[4] == ResponseState.nak)
        let offer = try await Self.exchange(host, RequestFrame(.dataHead, payload: [0x10, 0x01, 0, 0]), .plain)
        #expect(Array(offer.suffix(4)) == [0x10, 0x01, 0, 0])   // min(272 remaining, 0x400)
        let wrongSize = try await Self.exchange(host, RequestFrame(.downloadData, payload: [1, 2, 3]), .plain)
        #expect(wrongSize[4] == ResponseState.nak)
        var damaged = RequestFrame(.downloadData, index: 0, payload: [UInt8](repeating: 7, count: 272)).encode(.plain)
        damaged[20] ^= 0xFF
        try await host.write(damaged)
        let nak = try await host.read(exactly: 6, deadline: .now + .seconds(2))
        #expect(nak == ResponseFrame(command: 0x32, index: 1, family: .dl, state: ResponseState.nak).encode(.plain))
        await host.close()
        _ = await serving.value
    }

    @Test("the flasher uses whatever packet size the board offers")
    func oddPacketSizes() async throws {
        let package = try Fixtures.package()
        var config = BoardConfig()
        config.romPacketSize = 300
        config.agentPacketSize = 1000
        let board = SimulatedBoard(config: config)
        await board.setRecordsTranscript(true)
        let result = await Fixtures.flash(package.plan, agentBoot: try package.requireAgentBoot().bytes, board: board)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(FlashCheck.mismatches(await board.flash, plan: package.plan, oldAP: [], oldCP: []).isEmpty)
        let dataFrames = await board.transcript.filter {
            $0.direction == .hostToDevice && $0.kind == .frame && $0.bytes[0] == DLCommand.downloadData.rawValue
        }
        let lengths = dataFrames.map { Int($0.bytes[4]) | Int($0.bytes[5]) << 8 | Int($0.bytes[6]) << 16 }
        #expect(lengths.max() == 1000)
        #expect(lengths.contains(300))
    }
}
