import BoardSim
import EC618
import Testing

@Suite("NOR flash model and fault specs")
struct BoardModelTests {
    @Test func norErasesBlocksAndRefusesProgrammingUnerasedBytes() throws {
        var chip = NORFlash(name: "test", size: 4 * 65536)
        chip.preload([0x12])
        #expect(throws: NORError.notErased(chip: "test", offset: 65536)) { try chip.program([0xFF, 0x00], at: 65536) }
        try chip.erase(block: 1)
        #expect(try chip.read(65536..<(2 * 65536)).allSatisfy { $0 == 0xFF })
        #expect(try chip.read(0..<65536).allSatisfy { $0 == 0x12 })
        try chip.program([0xAB, 0xCD], at: 65536)
        #expect(try chip.read(65536..<65538) == [0xAB, 0xCD])
        // Writing the same place again, even with the same bytes, is refused.
        #expect(throws: NORError.notErased(chip: "test", offset: 65536)) { try chip.program([0xAB], at: 65536) }
        #expect(throws: NORError.outOfRange(chip: "test", offset: 4 * 65536 - 1, count: 2)) {
            try chip.program([1, 2], at: 4 * 65536 - 1)
        }
        #expect(chip.blocks(covering: 65535..<65537) == 0..<2)
    }

    @Test func faultSpecParses() throws {
        let plan = try FaultPlan(spec: "nak-block=3x2, drop-byte=1000,corrupt-byte=777,stall-after=50000,disconnect-after=9,burn-status=1")
        #expect(plan.nakBlock?.index == 3 && plan.nakBlock?.times == 2)
        #expect(plan.dropByte == 1000 && plan.corruptByte == 777 && plan.stallAfter == 50000)
        #expect(plan.disconnectAfter == 9 && plan.burnStatusFailure == 1)
        #expect(try FaultPlan(spec: "") == .none)
    }

    @Test("bad fault specs are refused with the item and a reason", arguments: [
        "nak-block", "nak-block=0", "drop-byte=-1", "frobnicate=1", "drop-byte=1,drop-byte=2", "stall-after=x",
    ])
    func faultSpecRefused(_ spec: String) {
        #expect(throws: FaultSpecError.self) { try FaultPlan(spec: spec) }
    }

    @Test func lowerBoundAddsLinkEraseAndProgramTime() {
        let t = SimTiming(linkBytesPerSecond: 1_000_000, eraseBlock: .milliseconds(150), programBytesPerSecond: 400_000)
        #expect(t.lowerBound(imageBytes: 400_000, eraseBlocks: 2) == .milliseconds(400 + 300 + 1000))
    }
}
