import BoardSim
import SimulatedLine
import EC618
import Firmware
import Foundation
import Hotplug
import LuaImage
import QA
import Records
import Station
import Synchronization
import Testing
import Vocabulary

/// The real-board driver (`HardwareSlotBoard`, `SlotDevices`, `SlotDispatcher`) against boards
/// that look real from the host side: a simulated EC618 behind pseudo-terminals that change
/// shape like a USB device (download mode → reset → running x.2/x.4/x.6 → boot entry → …),
/// announced as the watcher would. Every byte goes through termios ttys, the real flasher,
/// the real QA server on 127.0.0.1 and the LuatOS runtime.
@Suite(.serialized) struct HardwareDriverTests {
    /// Everything one test station needs.
    struct Rig {
        let line: HardwareLine
        let server: QAServer
        let store: SQLResultsStore
        let folder: URL
        let partition: ScriptPartition

        /// The boot entry the rig's line sends unless a test gives its own: fast, one strategy.
        static let quickBootEntry = BootEntrySequence(
            steps: [.init(bytes: Array("AT+ECRST=delay,400\r\n".utf8), wait: .milliseconds(20)),
                    .init(bytes: [0x7E, 0x00, 0x02, 0x7E], wait: .zero)],
            deadline: .seconds(5))

        static func make(app: String = Rig.cleanApp, link: BoardLinkKind = .tty,
                         bootWindow: Duration = .milliseconds(800), bootEntry: BootEntrySequence = Rig.quickBootEntry,
                         verify: Bool = false) async throws -> Rig {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hw-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let package = try SocPackage(bytes: SyntheticSoc().make(), path: folder.appendingPathComponent("t.soc").path)
            let options = ScriptImageOptions(capacity: package.plan.scriptPartition.capacity)
            let production = try ScriptImageBuilder.build(
                inputs: [ScriptInput(path: "main.lua", name: "main.lua", bytes: Array(app.utf8))], options: options)
            let server = QAServer(host: "127.0.0.1", port: 0)
            _ = try await server.start()
            let plan = QAPlan(checks: [.get, .formPost, .multipartUpload, .download], attachBudgetMs: 2_000,
                              checkTimeoutMs: 3_000, downloadBytes: 8192, uploadBytes: 4096, deadlineMs: 15_000)
            var flasher = FlasherSettings()
            flasher.responseTimeout = .milliseconds(400)
            flasher.verify = verify
            let materials = StationMaterials(
                package: package, agentBoot: SyntheticSoc.agentBootBytes(), productionImage: production,
                qaSessions: server, qaPlan: plan, qaImage: try QAImageTemplate(scriptFolder: Self.qaFolder, options: options))
            let line = HardwareLine(
                materials: materials, link: link, flasher: flasher,
                bootEntry: bootEntry,
                downloadBaud: 921_600, runtimeBaud: 921_600,
                bootCheck: BootCheckRules(window: bootWindow))
            let store = try await StoreURL.open(folder.appendingPathComponent("r.sqlite").path)
            try await store.ensureBatch(BatchInfo(name: "hw"))
            return Rig(line: line, server: server, store: store, folder: folder,
                       partition: package.plan.scriptPartition)
        }

        static let cleanApp = """
            local sys = require("sys")
            sys.taskInit(function() while true do log.info("app", "alive") sys.wait(100) end end)
            sys.run()
            """

        static var qaFolder: String {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("profiles/air780e/qa").path
        }

        func settings() -> PipelineSettings {
            PipelineSettings(deadlines: [.enterDownloadMode: .seconds(10), .flashFull: .seconds(60), .waitRunning: .seconds(10),
                                         .qa: .seconds(30), .flashScript: .seconds(30), .bootCheck: .seconds(10)],
                             retries: [.flash: 0, .bootEntry: 1], batch: "hw", stationID: "st-hw")
        }

        /// A device-side board whose bus shapes become watcher reports for `slot`.
        func board(number: Int, slot: Slot, reports: AsyncStream<SlotReport>.Continuation,
                   faults: FaultPlan = .none, network: NetworkFaults = .none,
                   bootEntry: BootEntryResponse = .honours) -> DeviceSideBoard {
            let bus = PseudoTerminalBus { shape in reports.yield(shape.report(for: slot)) }
            var runtime = RuntimeSettings(sandboxDirectory: folder.appendingPathComponent("board-\(number)").path)
            runtime.attachDelay = .milliseconds(50)
            runtime.faults = network
            var settings = DeviceSideBoard.Settings(identity: .simulated(number), runtime: runtime, scriptPartition: partition)
            settings.faults = faults
            settings.resetGap = .milliseconds(50)
            settings.bootEntry = bootEntry
            return DeviceSideBoard(bus: bus, settings: settings)
        }

        func close() async {
            await server.stop()
            await store.close()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Runs one board through the whole flow in one slot; returns the outcome and what the
    /// board's flash holds afterwards.
    func runOne(_ rig: Rig, number: Int = 1, from mode: DeviceSideBoard.Mode = .download,
                faults: FaultPlan = .none, network: NetworkFaults = .none,
                events: @escaping @Sendable (StationEvent.Kind) -> Void = { _ in })
        async throws -> (RunOutcome, DeviceSideBoard) {
        let slot = Slot(path: PhysicalPath("1-1.\(number)")!, label: "A\(number)")
        let (reports, sink) = AsyncStream.makeStream(of: SlotReport.self)
        let devices = SlotDevices(slot: slot)
        let router = Task { for await report in reports { await devices.update(report) } }
        let device = rig.board(number: number, slot: slot, reports: sink, faults: faults, network: network)
        let life = Task { await device.run(from: mode) }
        // The pipeline starts once the watcher has seen the board, as the station does.
        _ = await devices.wait(until: .now + .seconds(5)) { _ in true }
        let board = HardwareSlotBoard(devices: devices, line: rig.line, boardID: "hw-\(number)", events: events)
        let pipeline = SlotPipeline(slotLabel: slot.label, settings: rig.settings(), store: rig.store, emit: { _ in })
        let outcome = try await pipeline.run(board)
        await board.release()
        life.cancel()
        await life.value
        sink.finish()
        await router.value
        return (outcome, device)
    }

    @Test func aBoardInDownloadModeIsFlashedQAdAndSignedOffOverTtys() async throws {
        let rig = try await Rig.make()
        defer { Task { await rig.close() } }
        let (outcome, device) = try await runOne(rig)
        #expect(outcome.status == .pass, "\(outcome)")
        #expect(outcome.stepSeconds.keys.count == Set(StationStep.fullFlow).count)
        let run = try #require(try await rig.store.runs(RunQuery()).first)
        #expect(run.status == .pass)
        #expect(run.imei == RuntimeIdentity.simulated(1).imei)
        #expect(run.checks.map(\.name).sorted() == ["download", "form_post", "get", "multipart_upload"])
        #expect(run.checks.filter { !$0.passed }.isEmpty)
        // What the board holds now is the production image, not the QA image.
        let flash = try #require(await device.contents)
        let files = try LuatOSRuntime.scriptFiles(apFlash: flash.ap, partition: rig.partition)
        #expect(files.map(\.name) == rig.line.materials.productionImage.entries.map(\.name))
    }

    @Test func aRunningBoardIsSentToDownloadModeBySoftware() async throws {
        let rig = try await Rig.make()
        defer { Task { await rig.close() } }
        let (outcome, _) = try await runOne(rig, number: 2, from: .running)
        #expect(outcome.status == .pass, "\(outcome)")
    }

    @Test func aBoardPulledMidFlashFailsItsSlotAsUnplugged() async throws {
        let rig = try await Rig.make()
        defer { Task { await rig.close() } }
        let (outcome, _) = try await runOne(rig, number: 3, faults: try FaultPlan(spec: "disconnect-after=60000"))
        #expect(outcome.status == .fail)
        #expect(outcome.failureClass == .unplugged, "\(outcome)")
        #expect(outcome.failedStep == .flashFull)
    }

    @Test func aBoardWithoutNetworkFailsQAWithItsClass() async throws {
        let rig = try await Rig.make()
        defer { Task { await rig.close() } }
        var network = NetworkFaults()
        network.noAttach = true
        let (outcome, _) = try await runOne(rig, number: 4, network: network)
        #expect(outcome.status == .fail)
        #expect(outcome.failedStep == .qa)
        #expect(outcome.failureClass == .noNetworkAttach, "\(outcome)")
    }

    @Test func anAppThatRaisesFailsTheBootCheck() async throws {
        let rig = try await Rig.make(app: """
            local sys = require("sys")
            sys.taskInit(function() sys.wait(50) local t = nil; t.x = 1 end)
            sys.run()
            """, bootWindow: .seconds(30))   // the error ends the check at once; 800 ms can close first under load
        defer { Task { await rig.close() } }
        let (outcome, _) = try await runOne(rig, number: 5)
        #expect(outcome.status == .fail)
        #expect(outcome.failedStep == .bootCheck)
        #expect(outcome.failureClass == .appLuaError, "\(outcome)")
    }

    @Test func anAppThatResetsTheBoardFailsTheBootCheckAsRebootedNotUnplugged() async throws {
        let rig = try await Rig.make(app: """
            local sys = require("sys")
            sys.taskInit(function() sys.wait(100) rtos.reboot() end)
            sys.run()
            """, bootWindow: .seconds(8))
        defer { Task { await rig.close() } }
        let (outcome, _) = try await runOne(rig, number: 6)
        #expect(outcome.status == .fail)
        #expect(outcome.failedStep == .bootCheck)
        #expect(outcome.failureClass == .appRebooted, "\(outcome)")
    }

    @Test func theDispatcherRunsEachSlotOnceUntilItsBoardLeaves() async throws {
        let rig = try await Rig.make()
        defer { Task { await rig.close() } }
        let (reports, sink) = AsyncStream.makeStream(of: SlotReport.self)
        let slots = (1...2).map { Slot(path: PhysicalPath("1-2.\($0)")!, label: "B\($0)") }
        let outcomes = Mutex<[String: [RunStatus]]>([:])
        let budget = Mutex(2)
        let dispatcher = SlotDispatcher(
            accepts: { $0.path.rawValue.hasPrefix("1-2.") },
            isReady: { $0.isReady(for: .tty) },
            claim: { budget.withLock { b in b > 0 ? { b -= 1; return true }() : false } },
            hasBudget: { budget.withLock { $0 > 0 } },
            runBoard: { devices in
                let board = HardwareSlotBoard(devices: devices, line: rig.line, boardID: devices.slot.label)
                let pipeline = SlotPipeline(slotLabel: devices.slot.label, settings: rig.settings(), store: rig.store,
                                            emit: { _ in })
                let outcome = try? await pipeline.run(board)
                await board.release()
                outcomes.withLock { $0[devices.slot.label, default: []].append(outcome?.status ?? .interrupted) }
            })
        // A board in a slot of another station is never touched.
        let foreign = Slot(path: PhysicalPath("1-9")!, label: "1-9")
        sink.yield(.download(DownloadBoard(slot: foreign, usbDevnode: nil, port: "/dev/null")))
        let devices = slots.enumerated().map { i, slot in rig.board(number: 10 + i, slot: slot, reports: sink) }
        let lives = devices.map { device in Task { await device.run(from: .download) } }
        await dispatcher.run(reports)
        // Both boards stayed in their slots after their verdict: each was run exactly once.
        #expect(outcomes.withLock { $0 } == ["B1": [.pass], "B2": [.pass]])
        lives.forEach { $0.cancel() }
        for life in lives { await life.value }
        sink.finish()
    }
}

/// The station floor's swap rule with a clock the test moves: a finished board that resets
/// (back within the settle time) is not flashed again; a board put in after a swap's pause is.
@Suite struct SlotDispatcherSwapTests {
    @Test func aResettingBoardIsHeldAndASwappedOneRuns() async throws {
        let clock = Mutex(ContinuousClock.now)
        let slot = Slot(path: PhysicalPath("1-3.1")!, label: "C1")
        let (reports, sink) = AsyncStream.makeStream(of: SlotReport.self)
        let (events, eventSink) = AsyncStream.makeStream(of: SlotDispatcher.Event.self)
        let runs = Mutex(0)
        let dispatcher = SlotDispatcher(
            accepts: { _ in true }, isReady: { $0.isReady(for: .tty) },
            claim: { runs.withLock { $0 < 2 } }, hasBudget: { runs.withLock { $0 < 2 } },
            swapSettle: .seconds(3), now: { clock.withLock { $0 } },
            onEvent: { eventSink.yield($0) },
            runBoard: { _ in runs.withLock { $0 += 1 } })
        let floor = Task { await dispatcher.run(reports) }
        var seen = events.makeAsyncIterator()
        func advance(_ d: Duration) { clock.withLock { $0 += d } }
        let download = SlotReport.download(DownloadBoard(slot: slot, usbDevnode: nil, port: "/dev/ttyACM0"))
        let running = SlotReport.running(RunningBoard(slot: slot, usbDevnode: nil,
                                                      ports: [.socLog: "a", .trace: "b", .vuart: "c"], complete: true))

        sink.yield(download)
        #expect(await seen.next() == .started(slot))
        #expect(await seen.next() == .finished(slot))
        // The app resets its board: off the bus for a second, back running.
        sink.yield(.gone(slot))
        #expect(await seen.next() == .left(slot))
        advance(.seconds(1))
        sink.yield(running)
        #expect(await seen.next() == .held(slot))
        #expect(runs.withLock { $0 } == 1)
        // The operator swaps it: gone, and a new board five seconds later.
        sink.yield(.gone(slot))
        #expect(await seen.next() == .left(slot))
        advance(.seconds(5))
        sink.yield(download)
        #expect(await seen.next() == .started(slot))
        #expect(await seen.next() == .finished(slot))
        #expect(runs.withLock { $0 } == 2)
        await floor.value   // the budget is spent and nothing is in flight
        sink.finish()
    }

    @Test func aDeviceOfUnknownShapeIsShownAndNotRun() async throws {
        let slot = Slot(path: PhysicalPath("1-3.2")!, label: "C2")
        let (reports, sink) = AsyncStream.makeStream(of: SlotReport.self)
        let events = Mutex<[SlotDispatcher.Event]>([])
        let runs = Mutex(0)
        let dispatcher = SlotDispatcher(
            accepts: { _ in true }, isReady: { $0.isReady(for: .tty) },
            claim: { runs.withLock { $0 < 2 } }, hasBudget: { runs.withLock { $0 < 2 } },
            onEvent: { event in events.withLock { $0.append(event) } },
            runBoard: { _ in runs.withLock { $0 += 1 } })
        let odd = UnknownShapeBoard(slot: slot, id: USBID(vendor: 0x19D1, product: 1), usbDevnode: "/dev/bus/usb/001/9",
                                    ports: ["/dev/ttyACM0"], message: "1-3.2: 19d1:0001 has one tty …")
        #expect(!SlotReport.unknownShape(odd).isReady(for: .tty) && !SlotReport.unknownShape(odd).isReady(for: .usb))
        // Then a real board replaces it: only that one runs.
        sink.yield(.unknownShape(odd))
        sink.yield(.gone(slot))
        sink.yield(.download(DownloadBoard(slot: slot, usbDevnode: nil, port: "/dev/ttyACM1")))
        sink.finish()
        await dispatcher.run(reports)   // ends once the reports end and nothing is in flight
        #expect(events.withLock { $0 } == [.unknownShape(slot, message: odd.message), .started(slot), .finished(slot)])
        #expect(runs.withLock { $0 } == 1)
    }
}

/// The flasher's events as the station sees them, and `--verify` on the station's boards.
extension HardwareDriverTests {
    @Test func theFlashersEventsReachTheStation() async throws {
        let rig = try await Rig.make(verify: true)
        defer { Task { await rig.close() } }
        let events = Mutex<[StationEvent.Kind]>([])
        let (outcome, _) = try await runOne(rig, number: 7, faults: try FaultPlan(spec: "nak-block=3"),
                                            events: { kind in events.withLock { $0.append(kind) } })
        #expect(outcome.status == .pass, "\(outcome)")
        let seen = events.withLock { $0 }
        let plan = rig.line.materials.package.plan
        let started = seen.compactMap { e -> String? in
            if case .imageStarted(.flashFull, let image, _, let bytes) = e { return "\(image):\(bytes)" }
            return nil
        }
        // The full flash is the package's core images, then the board's own QA script image.
        let core = plan.images.filter { $0.kind != .script }
        let script = ImageKind.script.rawValue
        let startedKinds: [String] = started.map { String($0.split(separator: ":")[0]) }
        let planKinds: [String] = core.map { $0.kind.rawValue } + [script]
        #expect(startedKinds == planKinds)
        let coreSizes: [String] = core.map { "\($0.kind.rawValue):\($0.size)" }
        #expect(Array(started.dropLast()) == coreSizes)
        let naks = seen.compactMap { e -> String? in
            if case .flashNAK(let step, let phase, _, _, let command) = e { return "\(step.rawValue) \(phase) \(command)" }
            return nil
        }
        #expect(naks == ["flash_full burn downloadData"], "\(seen)")
        let retries = seen.compactMap { e -> String? in
            if case .flashRetry(let step, let phase, _, _, let reason) = e { return "\(step.rawValue) \(phase) \(reason)" }
            return nil
        }
        #expect(retries.count == 1 && retries[0].hasPrefix("flash_full burn downloadData"), "\(retries)")
        #expect(seen.contains(.resetAnswered(.flashFull, answerOK: true)))
        #expect(seen.contains(.resetAnswered(.flashScript, answerOK: true)))
        let verified = seen.compactMap { e -> String? in
            if case .imageVerified(let step, let image, _) = e { return "\(step.rawValue) \(image)" }
            return nil
        }
        let expected: [String] = planKinds.map { "flash_full \($0)" } + ["flash_script \(script)"]
        #expect(verified == expected)
    }

    @Test func verifyCatchesABitTheFlashLostAfterTheWrite() async throws {
        let rig = try await Rig.make(verify: true)
        defer { Task { await rig.close() } }
        let plan = rig.line.materials.package.plan
        let (outcome, _) = try await runOne(rig, number: 8, faults: try FaultPlan(spec: "flip-bit=\(plan.images[0].size + 7)"))
        #expect(outcome.status == .fail)
        #expect(outcome.failedStep == .flashFull)
        #expect(outcome.failureClass == .flashFailed, "\(outcome)")
        #expect(outcome.detail?.contains("read-back of \(plan.images[1].kind.rawValue) differs at byte 7") == true,
                "\(String(describing: outcome.detail))")
    }
}
