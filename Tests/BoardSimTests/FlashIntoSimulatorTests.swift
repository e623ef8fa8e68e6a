import BoardSim
import EC618
import Firmware
import Links
import Testing

@Suite("Flasher against the simulated board")
struct FlashIntoSimulatorTests {
    @Test("a full flash puts every image at its address and erases only the blocks it wrote")
    func fullFlash() async throws {
        let package = try Fixtures.package()
        let agentBoot = try package.requireAgentBoot().bytes
        let script = Fixtures.bytes(40_000, seed: 7)
        let plan = try package.plan.withScript(script, source: "test")
        let board = SimulatedBoard()
        await board.preload(ap: Fixtures.oldAPPattern, cp: Fixtures.oldCPPattern)
        let result = await Fixtures.flash(plan, agentBoot: agentBoot, board: board)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.outcome == .reset)
        let problems = FlashCheck.mismatches(await board.flash, plan: plan,
                                             oldAP: Fixtures.oldAPPattern, oldCP: Fixtures.oldCPPattern)
        #expect(problems.isEmpty, "\(problems)")
        let refusals = await board.refusals
        #expect(refusals.isEmpty, "\(refusals)")
    }

    @Test("a script-only flash writes the script and leaves the core alone")
    func scriptOnly() async throws {
        let package = try Fixtures.package()
        let script = Fixtures.bytes(70_001, seed: 3)
        let plan = try package.plan.scriptOnly(script, source: "test")
        let board = SimulatedBoard()
        await board.preload(ap: Fixtures.oldAPPattern, cp: Fixtures.oldCPPattern)
        let result = await Fixtures.flash(plan, agentBoot: try package.requireAgentBoot().bytes, board: board)
        #expect(result.error == nil, "\(String(describing: result.error))")
        let flash = await board.flash
        #expect(FlashCheck.mismatches(flash, plan: plan, oldAP: Fixtures.oldAPPattern, oldCP: Fixtures.oldCPPattern).isEmpty)
        let at = Int(package.plan.scriptPartition.flashOffset)
        #expect(Array(flash.ap[at..<(at + script.count)]) == script)
    }

    @Test("the flash check notices one wrong byte (so the tests above can fail)")
    func checkCanFail() async throws {
        let package = try Fixtures.package()
        let board = SimulatedBoard()
        let result = await Fixtures.flash(package.plan, agentBoot: try package.requireAgentBoot().bytes, board: board)
        #expect(result.error == nil)
        let flash = await board.flash
        var ap = flash.ap
        ap[Int(EC618FlashMap.apImageOffset) + 1000] ^= 0x01
        let damaged = SimulatedBoard.FlashContents(ap: ap, cp: flash.cp)
        #expect(FlashCheck.mismatches(damaged, plan: package.plan, oldAP: [], oldCP: []) == ["ap_flash: block 0x20000 differs"])
        #expect(FlashCheck.mismatches(flash, plan: package.plan, oldAP: [], oldCP: []).isEmpty)
    }

    @Test("progress events: every image starts, reaches its size, and finishes, in plan order")
    func progressEvents() async throws {
        let package = try Fixtures.package()
        let log = EventLog()
        let result = await Fixtures.flash(package.plan, agentBoot: try package.requireAgentBoot().bytes,
                                          board: SimulatedBoard()) { log.add($0) }
        #expect(result.error == nil)
        let events = log.all
        let started = events.compactMap { if case .imageStarted(let k, _, _) = $0 { return k } else { return nil } }
        #expect(started == package.plan.images.map(\.kind))
        let finalPlanDone = events.compactMap { e -> Int? in
            if case .progress(_, _, _, let done, let total) = e, total == package.plan.totalBytes { return done }
            return nil
        }.last
        #expect(finalPlanDone == package.plan.totalBytes)
        #expect(events.last == .reset(answerOK: true))
    }

    @Test("the board refuses to program bytes that are not erased")
    func overlappingImagesAreRefused() async throws {
        let package = try Fixtures.package()
        // A script partition placed on top of the AP image: the second write hits programmed bytes.
        let overlapping = FlashPlan(images: package.plan.images,
                                    scriptPartition: ScriptPartition(flashOffset: EC618FlashMap.apImageOffset + 0x1000,
                                                                     capacity: 64 * 1024))
        let plan = try overlapping.withScript(Fixtures.bytes(5000, seed: 9), source: "test")
        let board = SimulatedBoard()
        let result = await Fixtures.flash(plan, agentBoot: try package.requireAgentBoot().bytes, board: board)
        let error = try #require(result.error)
        #expect(error.image == .script)
        #expect(await board.refusals.contains { $0.contains("programming unerased byte") })
    }

    @Test("an AgentBoot the ROM does not accept stops the flash in the agentboot phase")
    func agentBootNotAccepted() async throws {
        let package = try Fixtures.package()
        var config = BoardConfig()
        config.acceptedAgentBoots = [String(repeating: "0", count: 64)]
        let board = SimulatedBoard(config: config)
        let result = await Fixtures.flash(package.plan, agentBoot: try package.requireAgentBoot().bytes, board: board)
        let error = try #require(result.error)
        #expect(error.phase == .agentBoot)
        #expect(error.image == nil)
        #expect(await board.flash.ap.allSatisfy { $0 == 0xFF })
    }
}
