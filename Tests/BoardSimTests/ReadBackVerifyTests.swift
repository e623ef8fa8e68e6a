import BoardSim
import EC618
import Firmware
import Links
import Testing

@Suite("Read-back verify against the simulated AgentBoot (READ_MEM)")
struct ReadBackVerifyTests {
    static func verifying() -> FlasherSettings {
        var settings = FlasherSettings.fastTests
        settings.verify = true
        return settings
    }

    @Test("a clean board passes: every image is read back and matches")
    func cleanBoardVerifies() async throws {
        let package = try Fixtures.package()
        let plan = try package.plan.withScript(Fixtures.bytes(5_000, seed: 9), source: "test")
        let log = EventLog()
        let board = SimulatedBoard()
        let result = await Fixtures.flash(plan, agentBoot: try package.requireAgentBoot().bytes, board: board,
                                          settings: Self.verifying()) { log.add($0) }
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.outcome == .reset)
        let verified = log.all.compactMap { e -> ImageKind? in
            if case .verified(let kind, let bytes) = e { return bytes == plan.images.first { $0.kind == kind }?.size ? kind : nil }
            return nil
        }
        #expect(verified == plan.images.map(\.kind))
        #expect(await board.refusals.isEmpty)
    }

    @Test("a bit the flash lost after the AgentBoot acknowledged it fails the flash, naming image and byte")
    func flippedBitIsCaught() async throws {
        let package = try Fixtures.package()
        let plan = package.plan
        // The byte 100 of the second image (the first is the bootloader).
        let first = plan.images[0].size
        let board = SimulatedBoard(faults: try FaultPlan(spec: "flip-bit=\(first + 100)"))
        let result = await Fixtures.flash(plan, agentBoot: try package.requireAgentBoot().bytes, board: board,
                                          settings: Self.verifying())
        let error = try #require(result.error)
        #expect(error.phase == .verify)
        #expect(error.image == plan.images[1].kind)
        #expect(error.offset == 100)
        #expect(!error.isRetryable)
        guard case .readBack(let mismatch) = error.cause else {
            Issue.record("expected a read-back mismatch, got \(error.cause)")
            return
        }
        #expect(mismatch.wrote ^ mismatch.read == 0x01)
        #expect(error.description.contains("read-back of \(plan.images[1].kind.rawValue) differs at byte 100"))
    }

    @Test("without verify the same lost bit goes unnoticed (the burn status only counts bytes)")
    func withoutVerifyTheFlipPasses() async throws {
        let package = try Fixtures.package()
        let board = SimulatedBoard(faults: try FaultPlan(spec: "flip-bit=\(package.plan.images[0].size + 100)"))
        let result = await Fixtures.flash(package.plan, agentBoot: try package.requireAgentBoot().bytes, board: board)
        #expect(result.error == nil)
    }

    @Test("READ_MEM frame of spec §3.3 (16 bytes at 0x800000), and the board answers from its NOR flash")
    func readMemFrameAndAnswer() async throws {
        let request = RequestFrame(.readMem, payload: ReadBack.request(length: 16, address: 0x80_0000))
        #expect(request.encode(.protected) == [0x21, 0x00, 0x4C, 0xB3, 0x08, 0x00, 0x00, 0x25,
                                                0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00,
                                                0x0D, 0xBC, 0x4D, 0x65])
        #expect(ReadBack.address(storage: .apFlash, rawOffset: 0x24000) == 0x82_4000)
        #expect(ReadBack.address(storage: .cpFlash, rawOffset: 0x10) == 0x880_0010)
        #expect(ReadBack.address(storage: .cpFlash, rawOffset: UInt32.max) == nil)
    }
}
