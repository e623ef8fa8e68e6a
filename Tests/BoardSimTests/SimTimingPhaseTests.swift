import BoardSim
import Firmware
import Foundation
import Links
import Testing
import TestSupport

@Suite("The line forecast: the sum of every phase's lower bound under a timing model")
struct BoardFlowForecastTests {
    static let sizes = BoardFlowForecast.Sizes(
        fullFlashBytes: 3_000_000, fullFlashEraseBlocks: 48, scriptFlashBytes: 40_000, scriptFlashEraseBlocks: 1,
        qaExchanges: [.init(sentBytes: 0, receivedBytes: 256), .init(sentBytes: 16_384, receivedBytes: 0),
                      .init(sentBytes: 0, receivedBytes: 65_536), .init(sentBytes: 0, receivedBytes: 0)],
        bootEntryBytes: Array("AT+ECRST=delay,799\r\n".utf8) + [0x7E, 0x00, 0x02, 0x7E],
        bootEntryHostPauses: .milliseconds(1000), bootCheckWindow: .milliseconds(1500), swap: .milliseconds(700))

    static func perBoard(_ timing: SimTiming) -> Duration { BoardFlowForecast(timing: timing, sizes: sizes).perBoard }

    @Test("realistic timing forecasts a slower board than fast timing")
    func realisticIsSlower() {
        #expect(Self.perBoard(.realistic) > Self.perBoard(.fast))
    }

    @Test("every phase figure moves the bound", arguments: [
        "attach", "reEnumerateAfterReset", "reEnumerateAfterBootEntry", "bootToFirstLog", "networkRoundTrip",
        "networkBytesPerSecond", "linkBytesPerSecond", "eraseBlock", "programBytesPerSecond",
    ])
    func everyFigureCounts(figure: String) {
        var slower = SimTiming.realistic
        switch figure {
        case "attach": slower.attach += .seconds(1)
        case "reEnumerateAfterReset": slower.reEnumerateAfterReset += .seconds(1)
        case "reEnumerateAfterBootEntry": slower.reEnumerateAfterBootEntry += .seconds(1)
        case "bootToFirstLog": slower.bootToFirstLog += .seconds(1)
        case "networkRoundTrip": slower.networkRoundTrip += .milliseconds(100)
        case "networkBytesPerSecond": slower.networkBytesPerSecond /= 2
        case "linkBytesPerSecond": slower.linkBytesPerSecond /= 2
        case "eraseBlock": slower.eraseBlock += .milliseconds(100)
        case "programBytesPerSecond": slower.programBytesPerSecond /= 2
        default: Issue.record("unknown figure \(figure)")
        }
        #expect(Self.perBoard(slower) > Self.perBoard(.realistic), "\(figure)")
    }

    @Test("the QA traffic costs two round trips per exchange plus its bodies at the link rate")
    func qaTraffic() throws {
        var timing = SimTiming.fast
        timing.networkRoundTrip = .milliseconds(100)
        timing.networkBytesPerSecond = 10_000
        let qa = try #require(BoardFlowForecast(timing: timing, sizes: Self.sizes).phases.first { $0.name == "QA traffic" })
        // 4 exchanges × 2 × 100 ms + (256 + 16 384 + 65 536) B at 10 kB/s.
        #expect(qa.lowerBound == .milliseconds(800) + .nanoseconds(Int64(82_176) * 100_000))
    }

    @Test("boot entry waits for the AT+ECRST delay and the ROM's enumeration, or the host's pauses when longer")
    func bootEntry() throws {
        var timing = SimTiming.fast
        timing.reEnumerateAfterBootEntry = .seconds(2)
        var patientHost = Self.sizes
        patientHost.bootEntryHostPauses = .seconds(5)
        let phase = { (t: SimTiming, s: BoardFlowForecast.Sizes) in
            BoardFlowForecast(timing: t, sizes: s).phases.first { $0.name == "boot entry" }?.lowerBound
        }
        #expect(phase(timing, Self.sizes) == .milliseconds(799) + .seconds(2))
        // Fast: the delay and the bus's 300 ms reset gap.
        #expect(phase(.fast, Self.sizes) == .milliseconds(799) + DeviceSideBoard.defaultResetGap)
        #expect(phase(timing, patientHost) == .seconds(5))
    }

    @Test("the line bound is slots × 3600 s over the per-board bound")
    func lineBound() {
        let forecast = BoardFlowForecast(timing: .realistic, sizes: Self.sizes)
        let perBoard = Double(forecast.perBoard.components.seconds) + Double(forecast.perBoard.components.attoseconds) / 1e18
        #expect(abs(forecast.lineBound(slots: 1) - 3600 / perBoard) < 1e-9)
        #expect(abs(forecast.lineBound(slots: 64) - 64 * forecast.lineBound(slots: 1)) < 1e-6)
    }

    @Test("erase blocks: whole 64 KiB blocks an image covers at least")
    func eraseBlocks() {
        #expect(BoardFlowForecast.eraseBlocks(bytes: 0) == 0)
        #expect(BoardFlowForecast.eraseBlocks(bytes: 1) == 1)
        #expect(BoardFlowForecast.eraseBlocks(bytes: 65_536) == 1)
        #expect(BoardFlowForecast.eraseBlocks(bytes: 65_537) == 2)
    }
}

@Suite("Realistic timing reaches the board: re-enumeration, boot and the 4G link take their figures")
struct SimTimingOnTheBoardTests {
    /// When each shape of the bus and the first x.2 bytes were seen.
    final class Shapes: Sendable {
        private let seen = Shared<[(String, ContinuousClock.Instant)]>([])
        func add(_ name: String) { seen.withLock { $0.append((name, .now)) } }
        func first(_ name: String) -> ContinuousClock.Instant? { seen.withLock { $0.first { $0.0 == name }?.1 } }
        func last(_ name: String) -> ContinuousClock.Instant? { seen.withLock { $0.last { $0.0 == name }?.1 } }
    }

    static func wait(for name: String, in shapes: Shapes, within limit: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let at = shapes.first(name) { return at }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw LinkError.timeout(link: "no \(name) shape within \(limit)")
    }

    @Test("a plugged-in board, its boot and a boot entry each take at least the realistic figure")
    func reEnumerationAndBoot() async throws {
        let timing = SimTiming.realistic
        let ports = MemoryBoardPorts()
        let shapes = Shapes()
        let names = Shared<[String: String]>([:])
        let bus = MemoryBus(name: "timing", ports: ports) { shape in
            switch shape {
            case .running(let socLog, _, _): names.withLock { $0["x2"] = socLog }; shapes.add("running")
            case .download: shapes.add("download")
            case .detached: shapes.add("detached")
            }
        }
        var runtime = RuntimeSettings(sandboxDirectory: RuntimeHarness.sandbox())
        runtime.attachDelay = .milliseconds(5)
        var settings = DeviceSideBoard.Settings(identity: .simulated(1), runtime: runtime,
                                                scriptPartition: ScriptPartition(flashOffset: 0x2C_C000, capacity: 64 * 1024))
        settings.timing = timing
        let board = DeviceSideBoard(bus: bus, settings: settings)
        let start = ContinuousClock.now
        let life = Task { await board.run(from: .running) }
        defer { life.cancel() }

        let running = try await Self.wait(for: "running", in: shapes, within: .seconds(20))
        #expect(running - start >= timing.reEnumerateAfterReset)
        let x2 = try await ports.openSerial(try #require(names.withLock { $0["x2"] }), baud: 921_600)
        // The firmware's first log frame (no script: it says so) comes after its boot.
        _ = try await x2.read(maxCount: 4096, deadline: .now + .seconds(20))
        #expect(ContinuousClock.now - running >= timing.bootToFirstLog)

        let sent = ContinuousClock.now
        try await x2.write(Array("AT+ECRST=delay,0\r\n".utf8) + [0x7E, 0x00, 0x02, 0x7E])
        let download = try await Self.wait(for: "download", in: shapes, within: .seconds(20))
        #expect(download - sent >= timing.reEnumerateAfterBootEntry)
        life.cancel()
        await life.value
        try? FileManager.default.removeItem(atPath: runtime.sandboxDirectory)
    }

    @Test("every HTTP exchange pays two round trips and its bodies at the link rate")
    func cellLinkTiming() async throws {
        let body = [UInt8](repeating: 0x41, count: 2_000)
        let server = try ScriptedServer { _ in [.send(ScriptedServer.answer(200, "OK", body: body)), .close] }
        let app = """
            sys.taskInit(function()
                sys.waitUntil("IP_READY")
                log.info("got", http.request("GET", "http://127.0.0.1:\(server.port)/x").wait())
            end)
            """
        var settings = RuntimeHarness.settings()
        settings.cellLink = CellLinkTiming(roundTrip: .milliseconds(100), bytesPerSecond: 10_000)
        let start = ContinuousClock.now
        let report = await RuntimeHarness.run(app, settings: settings)
        let took = ContinuousClock.now - start
        #expect(report.logLines.contains { $0.hasPrefix("I/user.got\t200") }, "\(report.logLines)")
        #expect(took >= settings.cellLink.exchange(sentBytes: 0, receivedBytes: body.count))
    }
}
