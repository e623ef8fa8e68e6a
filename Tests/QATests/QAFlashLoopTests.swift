import BoardSim
import EC618
import Firmware
import Foundation
import Links
import LuaImage
import QA
import Testing

@Suite("QA full loop through the flasher: blank simulated board → flash → reset → QA → verdict")
struct QAFlashLoopTests {
    @Test("a synthetic .soc plus the per-board QA image, flashed into a blank board, boots and passes")
    func flashResetVerify() async throws {
        var soc = SyntheticSoc()
        soc.sizes = .small
        let package = try SocPackage(bytes: soc.make(), path: "synthetic.soc")
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let plan = QALoop.fastPlan(checks: [.get, .formPost, .multipartUpload, .download, .jsonRoundtrip, .gzip])
        let ticket = await server.createSession(boardID: "flashed-1", plan: plan)
        let script = package.info.script
        let layout = try #require(LuaDumpLayout.luatos(bitWidth: script.bitWidth))
        let image = try QAScriptImage.build(ticket: ticket, scriptFolder: QALoop.scriptFolder,
                                            options: ScriptImageOptions(useLuac: script.useLuac, useDebug: script.useDebug,
                                                                        layout: layout,
                                                                        capacity: package.info.scriptPartition.capacity))
        let flashPlan = try package.plan.withScript(image.bytes, name: script.file, source: "synthetic.soc")

        let board = SimulatedBoard()
        let (resets, resetSink) = AsyncStream.makeStream(of: SimulatedBoard.FlashContents.self)
        await board.setResetHook { resetSink.yield($0); resetSink.finish() }
        let (host, device) = MemoryLink.pair(name: "sim")
        async let outcome = board.serve(on: device)
        try await Flasher(link: host, settings: .fastTests).flash(flashPlan, agentBoot: try package.requireAgentBoot().bytes)
        #expect(await outcome == .reset)
        var flashed: SimulatedBoard.FlashContents?
        for await contents in resets { flashed = contents; break }
        let contents = try #require(flashed)

        // The runtime reads what the flasher really wrote at the partition from info.json.
        let files = try LuatOSRuntime.scriptFiles(apFlash: contents.ap, partition: flashPlan.scriptPartition)
        #expect(files.map(\.name).sorted() == ["main.luac", "qa_config.luac"])
        var settings = RuntimeSettings(sandboxDirectory: NSTemporaryDirectory() + "qa-flash-" + UUID().uuidString)
        settings.attachDelay = .milliseconds(5)
        let x6 = VUARTCollector()
        let runtime = LuatOSRuntime(files: files, identity: .simulated(11), settings: settings,
                                    ports: RuntimePorts(vuart: { await x6.append($0) }))
        let report = await runtime.run(for: .seconds(30))
        try? FileManager.default.removeItem(atPath: settings.sandboxDirectory)
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID,
                                                        boardEvents: QABoardEvent.parse(await x6.bytes)))
        #expect(report.taskErrors.isEmpty, "\(report.taskErrors)")
        #expect(verdict.pass, "\(verdict)")
        #expect(verdict.imei == RuntimeIdentity.simulated(11).imei)
    }
}

actor VUARTCollector {
    private(set) var bytes: [UInt8] = []
    func append(_ more: [UInt8]) { bytes += more }
}
