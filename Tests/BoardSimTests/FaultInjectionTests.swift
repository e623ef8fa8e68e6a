import BoardSim
import EC618
import Firmware
import Links
import Testing

/// Every injected fault ends in a typed error naming phase, image and offset within the
/// configured deadline, link closed; a retryable fault that clears is retried to completion.
@Suite("Fault injection", .serialized)
struct FaultInjectionTests {
    /// Tight deadlines so a stall fails fast; the bound below is derived from them.
    static var settings: FlasherSettings {
        var s = FlasherSettings.fastTests
        s.responseTimeout = .milliseconds(120)
        s.syncEchoTimeout = .milliseconds(120)
        s.syncRounds = 3
        s.commandRetries = 2
        s.blockRetries = 1
        s.retryPause = .milliseconds(30)
        return s
    }

    struct Run {
        let error: FlashError?
        let board: SimulatedBoard
        let plan: FlashPlan
        /// From the last progress the flasher reported to the moment it gave up: how long the
        /// fault took to end the flash (the whole run also includes the work before the fault).
        let elapsed: Duration
        let events: [FlashEvent]
        let hostLink: MemoryLink
    }

    static func run(_ spec: String) async throws -> Run {
        let package = try Fixtures.package()
        let board = SimulatedBoard(faults: try FaultPlan(spec: spec))
        await board.preload(ap: Fixtures.oldAPPattern, cp: Fixtures.oldCPPattern)
        let (host, device) = MemoryLink.pair(name: "sim")
        let serving = Task { await board.serve(on: device) }
        let log = EventLog()
        let flasher = Flasher(link: host, settings: settings) { log.add($0) }
        let agentBoot = try package.requireAgentBoot().bytes
        let start = ContinuousClock.now
        var failure: FlashError?
        do { try await flasher.flash(package.plan, agentBoot: agentBoot) } catch { failure = error }
        let elapsed = ContinuousClock.now - (log.lastProgress ?? start)
        await device.close()
        _ = await serving.value
        return Run(error: failure, board: board, plan: package.plan, elapsed: elapsed, events: log.all, hostLink: host)
    }

    /// The configured worst case, plus slack for a loaded 2-core CI machine: the point is that a
    /// fault ends the flash in bounded time instead of hanging.
    static var deadline: Duration { settings.worstCaseStall + .seconds(10) }

    static func linkIsClosed(_ link: MemoryLink) async -> Bool {
        do { try await link.write([0]); return false } catch { return (error as? LinkError) == .closed(link: link.name) }
    }

    static func completedCorrectly(_ run: Run) async -> Bool {
        let problems = FlashCheck.mismatches(await run.board.flash, plan: run.plan,
                                             oldAP: Fixtures.oldAPPattern, oldCP: Fixtures.oldCPPattern)
        return run.error == nil && problems.isEmpty
    }

    static func retried(_ run: Run) -> Bool {
        run.events.contains { if case .retrying = $0 { return true } else { return false } }
    }

    // Small fixture layout (Fixtures.package()): AgentBoot DOWNLOAD_DATA frames are not counted;
    // AgentBoot-side DOWNLOAD_DATA #1 = BL header, #2 = BL data, #3 = AP header, #4… = AP data
    // in 16 KiB packets.

    @Test("a single NAK is retried and the flash completes")
    func nakOnceRecovers() async throws {
        let run = try await Self.run("nak-block=6")
        #expect(await Self.completedCorrectly(run), "\(String(describing: run.error))")
        #expect(Self.retried(run))
    }

    @Test("a NAK that does not clear fails in burn, AP image, at the failing block's offset")
    func persistentNak() async throws {
        // #9 is the 2nd packet of the AP's 2nd 64 KiB block. Its resends are NAKed, then the
        // block is restarted from its AGBOOT sync and NAKed again at its first packet: the
        // error names that block's start.
        let run = try await Self.run("nak-block=9x100")
        let error = try #require(run.error)
        #expect(error.phase == .burn)
        #expect(error.image == .ap)
        #expect(error.offset == 0x10000)
        #expect(error.cause == .response(.notAcknowledged(state: 1, payload: [])))
        #expect(error.isRetryable)
        #expect(run.elapsed < Self.deadline)
        #expect(await Self.linkIsClosed(run.hostLink))
    }

    @Test("a corrupted byte is caught by the CRC, retried, and the flash completes")
    func corruptByteRecovers() async throws {
        let run = try await Self.run("corrupt-byte=120000")
        #expect(await Self.completedCorrectly(run), "\(String(describing: run.error))")
        #expect(Self.retried(run))
        #expect(await run.board.refusals.contains { $0.contains("malformed frame") })
    }

    @Test("a dropped byte times out, the board resynchronises, and the flash completes")
    func dropByteRecovers() async throws {
        let run = try await Self.run("drop-byte=150000")
        #expect(await Self.completedCorrectly(run), "\(String(describing: run.error))")
        #expect(Self.retried(run))
    }

    @Test("a stalled board fails the flash within the configured deadline")
    func stall() async throws {
        let run = try await Self.run("stall-after=100000")
        let error = try #require(run.error)
        #expect(error.phase == .burn)
        #expect(error.image == .ap)
        #expect(error.offset != nil)
        #expect(error.isRetryable)
        #expect(run.elapsed < Self.deadline, "took \(run.elapsed)")
        #expect(await Self.linkIsClosed(run.hostLink))
    }

    @Test("a board that disconnects fails at once with the link error")
    func disconnect() async throws {
        let run = try await Self.run("disconnect-after=100000")
        let error = try #require(run.error)
        #expect(error.phase == .burn)
        #expect(error.image == .ap)
        #expect(error.offset != nil)
        #expect(error.cause == .link(.unplugged(link: "sim")))
        #expect(!error.isRetryable)
        #expect(run.elapsed < Self.deadline)
        #expect(await Self.linkIsClosed(run.hostLink))
    }

    @Test("a failed burn status names the image and is not retried")
    func burnStatus() async throws {
        let run = try await Self.run("burn-status=2")
        let error = try #require(run.error)
        #expect(error.phase == .burnStatus)
        #expect(error.image == .ap)
        #expect(error.offset == run.plan.images[1].size)
        #expect(error.cause == .response(.burnFailed(status: [1, 0, 0, 0])))
        #expect(!error.isRetryable)
        #expect(await Self.linkIsClosed(run.hostLink))
    }

    @Test("a stall during the ROM handshake names the rom-sync phase")
    func stallAtStart() async throws {
        let run = try await Self.run("stall-after=0")
        let error = try #require(run.error)
        #expect(error.phase == .romSync)
        #expect(error.image == nil)
        #expect(error.cause == .response(.syncFailed(.dlboot, rounds: Self.settings.syncRounds)))
    }
}
