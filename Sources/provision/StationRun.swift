import BoardSim
import Dispatch
import EC618
import Firmware
import Foundation
import Glibc
import Hotplug
import QA
import Records
import Station
import Synchronization

/// One start of the station: the store, the QA server, the boards (simulated or real), the
/// signals that stop it, and what it leaves behind (records, reports, webhook posts).
struct StationRun {
    let inputs: StationInputs
    let display: StationDisplay

    /// The QA budgets of simulated boards: they attach in 200 ms, so a board that never attaches
    /// is known after a few seconds instead of the profile's minute of real 4G attach.
    static let simulatedAttachBudgetMs = 3_000
    static let simulatedCheckTimeoutMs = 5_000

    /// How long a stopping station waits for the webhook to deliver what is queued. A collector
    /// that hangs must not hold the stop (and the operator) longer than this: whatever is left
    /// stays in the store's outbox and is posted at the next start.
    static let webhookDrainLimit: Duration = .seconds(10)

    func run() async throws -> (passed: Int, failed: Int, other: Int, undelivered: Int) {
        // The profile's QA plan is held to the bounds a shared server holds a posted plan to,
        // before the store or any board is touched.
        do {
            try QAPlan(profile: inputs.profile).validate()
        } catch {
            throw QAInputError(file: inputs.profile.source, reason: "\(error)")
        }
        // The store first: the station id's lease, then runs an earlier (crashed) holder of the id
        // left undecided are marked interrupted. A live station with this id refuses the start.
        let store = try await StoreURL.open(inputs.storeURL)
        let lease = StationLeaseKeeper(store: store, stationID: inputs.stationID,
                                       holder: StationLeaseKeeper.thisProcess(), timing: .standard)
        // Every way out frees the id and closes the store: closing is what folds SQLite's WAL
        // into the file.
        @Sendable func closeStore() async {
            await lease.release()
            await store.close()
        }
        var https: (identity: QATLSIdentity, port: Int, publicURL: String?)?
        do {
            let interrupted = try await lease.start()
            if interrupted > 0 { display.note("\(interrupted) run(s) left in flight by an earlier start marked interrupted") }
            try await store.ensureBatch(BatchInfo(name: inputs.batch, operatorID: inputs.operatorID,
                                                  workOrder: inputs.workOrder, profile: inputs.profile.name))

            // The https check needs a certificate the QA image can trust and a listener boards reach.
            if QAPlan(profile: inputs.profile).checks.contains(.https) {
                https = try inputs.httpsListener()
                if https == nil {
                    display.note("https check skipped: with --qa-url, there is no fixed --qa-listen port "
                                 + "to put the https listener next to")
                }
            }
        } catch {
            await closeStore()
            throw error
        }
        let qaServer = QAServer(host: inputs.qaListen.host, port: inputs.qaListen.port, publicURL: inputs.qaPublicURL,
                                tls: https?.identity, httpsPort: https?.port ?? 0, publicHTTPSURL: https?.publicURL)
        do {
            _ = try await qaServer.start()
        } catch {
            await closeStore()
            throw StationEnvironmentError("the QA server cannot listen on \(inputs.qaListen): \(error)")
        }
        var settings = PipelineSettings(profile: inputs.profile, batch: inputs.batch, stationID: inputs.stationID)
        settings.firmwareSHA256 = SHA256Hex.of(inputs.package.plan.images.flatMap(\.bytes))
        settings.scriptSHA256 = inputs.production.sha256
        settings.appLog = inputs.appLog
        settings.queueForDelivery = inputs.webhook != nil
        let webhook: WebhookPoster?
        do {
            webhook = try inputs.webhook.map {
                try WebhookPoster(url: $0, onDelivered: { runID in
                    // A failed delete only means the record is posted once more at the next start.
                    try? await store.markDelivered(runID: runID)
                })
            }
        } catch {
            await qaServer.stop()
            await closeStore()
            throw error
        }
        do {
            // What an earlier start of this station could not deliver goes first, in its order.
            let leftovers = try await store.undeliveredRuns(stationID: inputs.stationID)
            if !leftovers.isEmpty, let webhook {
                for runID in leftovers {
                    if let record = try await store.runs(RunQuery(runID: runID)).first {
                        await webhook.post(BoardRecordPayload(run: record))
                    }
                }
                display.note("webhook: \(leftovers.count) record(s) left undelivered by an earlier start posted again")
            } else if !leftovers.isEmpty {
                display.note("webhook: \(leftovers.count) record(s) wait in the webhook outbox of \(store.label); "
                             + "they are posted when this station starts with a webhook")
            }
        } catch {
            await webhook?.shutdown()
            await qaServer.stop()
            await closeStore()
            throw error
        }
        let tally = Tally(limit: inputs.count ?? inputs.simulate ?? Int.max,
                          stopWhenIdleAfterFirst: inputs.once && inputs.simulate == nil)
        let display = self.display
        let stationID = inputs.stationID
        await lease.heartbeat(lost: {
            // Another start took the id over after missed heartbeats (this process stalled): its
            // boards are no longer ours to start. Boards in flight still record their verdicts.
            display.note("station id \(stationID): the lease was taken over by another start; no new boards")
            tally.stopClaiming()
        }, trouble: { error in
            display.note("station id \(stationID): lease heartbeat not written (retried): \(error)")
        })
        let finished: @Sendable (RunOutcome) async -> Void = { outcome in
            tally.record(outcome.status)
            guard let webhook else { return }
            if let record = try? await store.runs(RunQuery(runID: outcome.runID)).first {
                await webhook.post(BoardRecordPayload(run: record))
            }
        }

        let work: Task<Void, Never>
        do {
            if let simulate = inputs.simulate, inputs.simBus == .pty {
                work = try await ptySlots(simulate, qaServer: qaServer, https: https?.identity, settings: settings,
                                          store: store, tally: tally, finished: finished)
            } else if let simulate = inputs.simulate {
                work = try await simulatedSlots(simulate, qaServer: qaServer, https: https?.identity, settings: settings, store: store,
                                                tally: tally, finished: finished)
            } else {
                work = try await realSlots(qaServer: qaServer, https: https?.identity, settings: settings, store: store, tally: tally,
                                     finished: finished)
            }
        } catch {
            await qaServer.stop()
            await closeStore()
            throw error
        }
        // Ctrl-C / SIGTERM: no new boards; boards in flight stop at once and are recorded as
        // interrupted. A second signal is not needed.
        let signals = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                tally.stopClaiming()
                work.cancel()
            }
            source.resume()
            return source
        }
        await work.value
        signals.forEach { $0.cancel() }
        await qaServer.stop()
        var undelivered = 0
        if let webhook {
            let emptied = await webhook.drain(timeout: Self.webhookDrainLimit)
            // Shut down before counting: it ends the delivery in flight, so a hung collector is
            // counted (and not left holding the stop), and nothing is posted after the count.
            await webhook.shutdown()
            let failures = await webhook.failures
            // The outbox, not the poster's tally, says what is undelivered: it also holds what an
            // earlier start left and what a 4xx refused.
            let kept: Int
            do {
                kept = try await store.undeliveredRuns(stationID: inputs.stationID).count
            } catch {
                display.note("webhook: the outbox of \(store.label) cannot be read: \(error)")
                kept = max(failures.count, 1)
            }
            if kept > 0 {
                let why = emptied ? (failures.first ?? "not delivered")
                    : "the collector did not finish within the \(Self.webhookDrainLimit) drain limit"
                display.note("webhook: \(kept) record(s) not delivered to \(inputs.webhook ?? ""); kept in the webhook outbox "
                             + "of \(store.label), posted again at this station's next start (\(why))")
            }
            undelivered = kept
        }
        if let folder = inputs.reportFolder {
            await writeReports(into: folder, store: store)
        }
        await closeStore()
        let (passed, failed, other) = tally.counts
        display.note("done: \(passed) passed, \(failed) failed" + (other > 0 ? ", \(other) not decided" : ""))
        return (passed, failed, other, undelivered)
    }

    // MARK: - Boards

    /// Simulated boards: one task per slot; boards come and go until --count verdicts (or --once).
    private func simulatedSlots(_ simulate: Int, qaServer: QAServer, https: QATLSIdentity?, settings: PipelineSettings, store: SQLResultsStore,
                                tally: Tally, finished: @escaping @Sendable (RunOutcome) async -> Void) async throws
        -> Task<Void, Never> {
        let plan = simulatedPlan(https: https != nil)
        let line = SimulatedLine(materials: inputs.materials(qaServer: qaServer, qaPlan: plan, https: https), timing: inputs.simTiming,
                                 attachDelay: .milliseconds(200), bootCheckWindow: .milliseconds(1500),
                                 network: inputs.simNetwork)
        display.note("station \(inputs.stationID): \(simulate) simulated slot(s), batch \"\(inputs.batch)\", store \(store.label)")
        let faults = inputs.simFaults
        let once = inputs.once
        let display = self.display
        return Task { await withTaskGroup(of: Void.self) { group in
            for slot in 1...simulate {
                group.addTask {
                    let path = "sim-\(slot)"
                    let pipeline = SlotPipeline(slotLabel: "slot\(slot)", settings: settings, store: store,
                                                emit: display.show)
                    var boardNumber = slot
                    while tally.claim() {
                        let board = SimulatedSlotBoard(number: boardNumber, slotPath: path, line: line,
                                                       faults: faults[boardNumber] ?? [])
                        do {
                            await finished(try await pipeline.run(board))
                        } catch {
                            display.note("slot\(slot): cannot record: \(error)")
                            tally.record(.interrupted)
                        }
                        if once || Task.isCancelled { break }
                        boardNumber += simulate
                    }
                }
            }
        } }
    }

    /// Real boards: the watcher's reports drive the slots.
    private func realSlots(qaServer: QAServer, https: QATLSIdentity?, settings: PipelineSettings, store: SQLResultsStore, tally: Tally,
                           finished: @escaping @Sendable (RunOutcome) async -> Void) async throws -> Task<Void, Never> {
        let profile = inputs.profile
        var watch = WatchSettings(source: inputs.source, identity: BoardUSBIdentity(profile: profile),
                                  labels: inputs.slotLabels)
        watch.downloadNeedsPort = inputs.link == .tty
        let reports: AsyncThrowingStream<SlotReport, Error>
        do {
            reports = try SlotWatcher.reports(watch)
        } catch {
            throw StationEnvironmentError("cannot watch for boards: \(error)")
        }
        let line = HardwareLine(
            materials: inputs.materials(qaServer: qaServer, qaPlan: realPlan(https: https != nil), https: https),
            link: inputs.link, flasher: FlasherSettings(),
            bootEntry: BootEntrySequence(profile: profile), downloadBaud: profile.downloadBaud,
            runtimeBaud: profile.runtimeBaud, bootCheck: BootCheckRules(window: profile.bootCheckWindow),
            logEscaping: LuatOSLogDecoder.Escaping(rawValue: profile.logEscaping) ?? .airm2m)
        let allowed = inputs.restrictToLabelledSlots ? Set(inputs.slotLabels.byPath.keys) : nil
        let qaURL = await qaServer.publicURL
        display.note("station \(inputs.stationID): waiting for \(profile.name) boards"
                     + (allowed.map { " in \($0.count) slot(s)" } ?? "") + " (\(inputs.link.rawValue) link, "
                     + "\(inputs.source.rawValue) events), batch \"\(inputs.batch)\", store \(store.label), QA server \(qaURL)")
        return drive(reports, line: line, allowed: allowed, settings: settings, store: store, tally: tally,
                     finished: finished, afterwards: {})
    }

    /// Simulated boards that look real (`--sim-bus pty`): each slot holds a simulated EC618 behind
    /// pseudo-terminals that change shape like a USB device (download mode, reset, running x.2/x.4/x.6,
    /// boot entry), announced as the watcher would; the real-board driver does the rest.
    private func ptySlots(_ simulate: Int, qaServer: QAServer, https: QATLSIdentity?, settings: PipelineSettings, store: SQLResultsStore,
                          tally: Tally, finished: @escaping @Sendable (RunOutcome) async -> Void) async throws
        -> Task<Void, Never> {
        let (reports, sink) = AsyncStream.makeStream(of: SlotReport.self)
        let sandbox = NSTemporaryDirectory() + "provision-pty-\(getpid())"
        var boards: [Task<Void, Never>] = []
        for number in 1...simulate {
            let slot = Slot(path: PhysicalPath(bus: Self.ptyBus, ports: [number])!, label: "slot\(number)")
            let bus = PseudoTerminalBus { shape in sink.yield(shape.report(for: slot)) }
            let faults = inputs.simFaults[number] ?? []
            var runtime = RuntimeSettings(sandboxDirectory: sandbox + "/board-\(number)")
            runtime.attachDelay = .milliseconds(200)
            runtime.faults = faults.networkFaults
            runtime.network = inputs.simNetwork
            runtime.firmwareBuild = FirmwareBuild(scriptRegionBytes: inputs.package.plan.scriptPartition.capacity)
            var device = DeviceSideBoard.Settings(identity: .simulated(number), runtime: runtime,
                                                  scriptPartition: inputs.package.plan.scriptPartition)
            device.timing = inputs.simTiming
            device.faults = try FaultPlan(spec: faults.flashFaultSpec(planBytes: inputs.package.plan.totalBytes))
            let board = DeviceSideBoard(bus: bus, settings: device)
            boards.append(Task { await board.run(from: .download) })
        }
        let line = HardwareLine(
            materials: inputs.materials(qaServer: qaServer, qaPlan: simulatedPlan(https: https != nil), https: https),
            link: .tty, bootEntry: BootEntrySequence(profile: inputs.profile),
            downloadBaud: inputs.profile.downloadBaud, runtimeBaud: inputs.profile.runtimeBaud,
            bootCheck: BootCheckRules(window: .milliseconds(1500)))
        let lives = boards
        display.note("station \(inputs.stationID): \(simulate) simulated board(s) on pseudo-terminals, "
                     + "batch \"\(inputs.batch)\", store \(store.label)")
        return drive(reports, line: line, allowed: nil, settings: settings, store: store, tally: tally,
                     finished: finished, afterwards: {
                         lives.forEach { $0.cancel() }
                         for board in lives { await board.value }
                         sink.finish()
                         try? FileManager.default.removeItem(atPath: sandbox)
                     })
    }

    /// The pretend USB bus number of `--sim-bus pty` slots (their paths read `99-N`).
    static let ptyBus = 99

    /// Runs the slots on `reports`: a board that arrives in a free slot runs the pipeline, and
    /// its slot takes the next board once it has left.
    private func drive<Reports: AsyncSequence & Sendable>(
        _ reports: Reports, line: HardwareLine, allowed: Set<PhysicalPath>?, settings: PipelineSettings,
        store: SQLResultsStore, tally: Tally, finished: @escaping @Sendable (RunOutcome) async -> Void,
        afterwards: @escaping @Sendable () async -> Void
    ) -> Task<Void, Never> where Reports.Element == SlotReport {
        let link = line.link
        let stationID = inputs.stationID
        let display = self.display
        let dispatcher = SlotDispatcher(
            accepts: { slot in allowed?.contains(slot.path) ?? true },
            isReady: { report in report.isReady(for: link) },
            claim: { tally.claim() },
            hasBudget: { tally.hasBudget },
            onEvent: { event in
                switch event {
                case .started, .left: break
                case .finished(let slot): display.note("\(slot.label): done; swap the board")
                case .held(let slot): display.note("\(slot.label): the finished board is back (reset?); remove it to start the next")
                case .unknownShape(let slot, let message):
                    display.slotNote(path: slot.path.rawValue, label: slot.label, step: "unknown shape", message)
                }
            },
            runBoard: { devices in
                let label = devices.slot.label
                let board = HardwareSlotBoard(devices: devices, line: line,
                                              boardID: "\(stationID)/\(label)/\(UUID().uuidString.prefix(8))")
                let pipeline = SlotPipeline(slotLabel: label, settings: settings, store: store, emit: display.show)
                do {
                    await finished(try await pipeline.run(board))
                } catch {
                    display.note("\(label): cannot record: \(error)")
                    tally.record(.interrupted)
                }
                await board.release()
            })
        return Task {
            await dispatcher.run(reports)
            await afterwards()
        }
    }

    /// The profile's QA plan for real boards (4G attach budgets), without https when there is no listener.
    private func realPlan(https: Bool) -> QAPlan {
        var plan = QAPlan(profile: inputs.profile)
        if !https { plan = plan.without(.https) }
        return plan
    }

    /// The profile's checks with the budgets of simulated boards.
    private func simulatedPlan(https: Bool) -> QAPlan {
        let profilePlan = QAPlan(profile: inputs.profile)
        return QAPlan(checks: profilePlan.checks.filter { https || $0 != .https },
                      attachBudgetMs: Self.simulatedAttachBudgetMs, checkTimeoutMs: Self.simulatedCheckTimeoutMs,
                      downloadBytes: profilePlan.downloadBytes, uploadBytes: profilePlan.uploadBytes,
                      unavailableChecks: profilePlan.unavailableChecks)
    }

    // MARK: - After the run

    private func writeReports(into folder: String, store: any ResultsStore) async {
        do {
            let runs = try await store.runs(RunQuery(batch: inputs.batch))
            let base = inputs.batch.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
            for format in inputs.reportFormats {
                let path = (folder as NSString).appendingPathComponent(String(base) + "." + format.fileExtension)
                let text = try format.render(title: "Batch \(inputs.batch)", runs: runs)
                try writeAtomically(Array(text.utf8), to: path)
                display.note("report: \(path)")
            }
        } catch {
            display.note("reports not written: \(error)")
        }
    }
}

/// Counts verdicts and hands out board slots up to the limit.
final class Tally: Sendable {
    private let state: Mutex<(claimed: Int, passed: Int, failed: Int, other: Int, stopped: Bool)>
    private let limit: Int
    /// `--once` on real boards without a slot list: stop once no board is in flight.
    private let stopWhenIdleAfterFirst: Bool

    init(limit: Int, stopWhenIdleAfterFirst: Bool = false) {
        self.limit = limit
        self.stopWhenIdleAfterFirst = stopWhenIdleAfterFirst
        state = Mutex((0, 0, 0, 0, false))
    }

    /// Whether another board may start; takes it from the budget.
    func claim() -> Bool {
        state.withLock { s in
            guard s.claimed < limit, !s.stopped else { return false }
            s.claimed += 1
            return true
        }
    }

    /// Whether boards may still start (without taking one).
    var hasBudget: Bool {
        state.withLock { s in
            let decided = s.passed + s.failed + s.other
            return s.claimed < limit && !s.stopped && !(stopWhenIdleAfterFirst && decided > 0)
        }
    }

    /// No more boards start (the station is stopping).
    func stopClaiming() {
        state.withLock { $0.stopped = true }
    }

    func record(_ status: RunStatus) {
        state.withLock { s in
            switch status {
            case .pass: s.passed += 1
            case .fail: s.failed += 1
            case .interrupted, .running: s.other += 1
            }
        }
    }

    var counts: (Int, Int, Int) { state.withLock { ($0.passed, $0.failed, $0.other) } }
}

/// The machine, not the input or a board, stops the station (exit 3).
struct StationEnvironmentError: ProvisionFailure {
    let description: String
    init(_ description: String) { self.description = description }
    var exitCode: Int32 { ProvisionExit.environmentError }
}
