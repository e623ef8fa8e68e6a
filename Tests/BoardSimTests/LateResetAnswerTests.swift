import BoardSim
import EC618
import Firmware
import Links
import Testing

/// The chip answers SYS_RST once and resets (spec §7, SYS_RST row): a resend is never answered.
/// On a loaded machine that answer can arrive after the response deadline; it is still the
/// answer, and a flasher that flushes it as stale input fails a board that did everything right
/// (the ectool cross-check failed this way under CPU load).
@Suite struct LateResetAnswerTests {
    /// The device side of a link whose SYS_RST answer leaves `delay` late.
    struct LateResetLink: ByteLink {
        let inner: MemoryLink
        let delay: Duration
        var name: String { inner.name }

        func write(_ bytes: [UInt8]) async throws {
            if bytes.count >= 4, bytes[0] == LPCCommand.sysReset.rawValue, bytes[2] == CommandFamily.lpc.orderID {
                try? await Task.sleep(for: delay)
            }
            try await inner.write(bytes)
        }

        func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
            try await inner.read(maxCount: maxCount, deadline: deadline)
        }

        func close() async { await inner.close() }
    }

    @Test func aResetAnswerAfterTheDeadlineIsStillTheAnswer() async throws {
        var settings = FlasherSettings.fastTests
        settings.responseTimeout = .milliseconds(150)
        // The answer lands after the deadline and before the resend: the window a flush used to
        // throw it away in.
        settings.retryPause = .milliseconds(400)
        let package = try Fixtures.package()
        let board = SimulatedBoard()
        await board.preload(ap: Fixtures.oldAPPattern, cp: Fixtures.oldCPPattern)
        let (host, device) = MemoryLink.pair(name: "late-reset")
        let serving = Task { await board.serve(on: LateResetLink(inner: device, delay: .milliseconds(300))) }
        let log = EventLog()
        let flasher = Flasher(link: host, settings: settings) { log.add($0) }
        let agentBoot = try package.requireAgentBoot().bytes
        var failure: FlashError?
        do { try await flasher.flash(package.plan, agentBoot: agentBoot) } catch { failure = error }
        #expect(failure == nil, "\(String(describing: failure))")
        #expect(await serving.value == .reset)
        #expect(log.all.contains { if case .reset(answerOK: true) = $0 { return true } else { return false } },
                "the late ZzZzZzZz is taken as the reset's answer")
        #expect(FlashCheck.mismatches(await board.flash, plan: package.plan, oldAP: Fixtures.oldAPPattern,
                                      oldCP: Fixtures.oldCPPattern).isEmpty)
    }

    /// The device side of a link that echoes every sync word twice, as a board that took the
    /// second copy of a round for a new burst does.
    struct DoubleEchoLink: ByteLink {
        let inner: MemoryLink
        var name: String { inner.name }

        func write(_ bytes: [UInt8]) async throws {
            try await inner.write(bytes)
            if bytes.count == 4, SyncWord.allCases.contains(where: { $0.bytes == bytes }) { try await inner.write(bytes) }
        }

        func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
            try await inner.read(maxCount: maxCount, deadline: deadline)
        }

        func close() async { await inner.close() }
    }

    @Test func aSecondEchoOfTheSyncWordInFrontOfAnAnswerIsSkipped() async throws {
        let package = try Fixtures.package()
        let board = SimulatedBoard()
        await board.preload(ap: Fixtures.oldAPPattern, cp: Fixtures.oldCPPattern)
        let (host, device) = MemoryLink.pair(name: "double-echo")
        let serving = Task { await board.serve(on: DoubleEchoLink(inner: device)) }
        let log = EventLog()
        let flasher = Flasher(link: host, settings: .fastTests) { log.add($0) }
        let agentBoot = try package.requireAgentBoot().bytes
        var failure: FlashError?
        do { try await flasher.flash(package.plan, agentBoot: agentBoot) } catch { failure = error }
        #expect(failure == nil, "\(String(describing: failure))")
        #expect(await serving.value == .reset)
        let retries = log.all.compactMap { event -> String? in
            if case .retrying(let phase, _, _, let reason) = event { return "\(phase): \(reason)" } else { return nil }
        }
        #expect(retries.isEmpty, "the extra echo is skipped, not retried around: \(retries)")
        #expect(FlashCheck.mismatches(await board.flash, plan: package.plan, oldAP: Fixtures.oldAPPattern,
                                      oldCP: Fixtures.oldCPPattern).isEmpty)
    }
}
