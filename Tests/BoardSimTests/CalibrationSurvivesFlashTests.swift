import BoardSim
import Firmware
import Testing

/// The RF calibration and NV regions hold what the board came with after every flash the
/// station does (the flasher never erases the chip, and its plans stay out of those regions).
@Suite struct CalibrationSurvivesFlashTests {
    private func protectedBytes(_ flash: SimulatedBoard.FlashContents) -> [[UInt8]] {
        EC618FlashMap.protectedRegions.map { region in
            let chip = region.storage == .apFlash ? flash.ap : flash.cp
            return Array(chip[Int(region.start)..<Int(region.end)])
        }
    }

    @Test func aFullFlashThenAScriptFlashLeaveEveryProtectedRegionAsItWas() async throws {
        let package = try Fixtures.package()
        let agentBoot = try package.requireAgentBoot().bytes
        let board = SimulatedBoard()
        await board.preload(ap: Fixtures.oldAPPattern, cp: Fixtures.oldCPPattern)
        let before = protectedBytes(await board.flash)
        #expect(before.allSatisfy { $0.contains { $0 != 0xFF } }, "the preloaded calibration is not blank")

        let full = try package.plan.withScript(Fixtures.bytes(40_000, seed: 11), source: "test")
        #expect(await Fixtures.flash(full, agentBoot: agentBoot, board: board).error == nil)
        #expect(protectedBytes(await board.flash) == before)

        let again = SimulatedBoard()
        await again.preload(ap: Fixtures.oldAPPattern, cp: Fixtures.oldCPPattern)
        let script = try package.plan.scriptOnly(Fixtures.bytes(9_000, seed: 12), source: "test")
        #expect(await Fixtures.flash(script, agentBoot: agentBoot, board: again).error == nil)
        #expect(protectedBytes(await again.flash) == before)
    }
}
