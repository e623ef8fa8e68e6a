import Dispatch
import Firmware
import Foundation
import Glibc
import Hotplug
import QA
import Records
import Synchronization

/// One start of the station: the store and its lease, the QA server, the boards from a
/// `BoardSource` driven by the one board driver, the signals that stop it, and what it leaves
/// behind (records, reports, webhook posts). The executable only builds the configuration,
/// picks the source and renders what the observer is told.
public struct StationRunner: Sendable {
    public let configuration: StationRunConfiguration
    public let observer: any StationObserver

    /// How long a stopping station waits for the webhook to deliver what is queued. A collector
    /// that hangs must not hold the stop (and the operator) longer than this: whatever is left
    /// stays in the store's outbox and is posted at the next start.
    public static let webhookDrainLimit: Duration = .seconds(10)

    public init(configuration: StationRunConfiguration, observer: any StationObserver) {
        self.configuration = configuration
        self.observer = observer
    }

    /// Runs until the board limit is decided, the source ends, or `stop` is raised (a signal):
    /// then no new board starts and the boards in flight are recorded as interrupted.
    /// `controls`: the operator's holds, scanned labels and "stop taking boards" (the console).
    public func run(boards source: any BoardSource, stop: StationStop = StationStop(),
                    controls: StationControls? = nil) async throws -> StationRunSummary {
        let config = configuration
        let observer = self.observer
        // The QA plan is held to the bounds a shared server holds a posted plan to, and the QA
        // script is compiled, before the store or any board is touched.
        do {
            try config.qaPlan.validate()
        } catch {
            throw QAInputError(file: config.profile.source, reason: "\(error)")
        }
        let qaImage = try QAImageTemplate(scriptFolder: config.qaScriptFolder, options: config.scriptOptions,
                                          checkingWith: config.qaPlan)
        // Every write the station will plan lies outside the calibration/NV regions, the
        // profile's among them, before any board is touched.
        try config.profile.flashGuard.check(config.package.plan, source: config.package.path)
        for region in BoardDataWrite.regions(for: config.profile.boardData) {
            try config.profile.flashGuard.check(write: "the board data's littlefs region", storage: .apFlash,
                                                offset: region.flashOffset, count: region.regionSize,
                                                source: config.profile.source)
        }
        // Who judges the boards, and whether boards can reach it, before the store: a wrong URL
        // or token, or a URL naming this PC, leaves nothing behind.
        let qa = try await startQASessions()
        do {
            try checkBoardsReach(qa.publicURL)
        } catch {
            await qa.stop()
            throw error
        }
        // Then the store: the station id's lease, then runs an earlier (crashed) holder of the id
        // left undecided are marked interrupted. A live station with this id refuses the start.
        let store: SQLResultsStore
        do {
            store = try await StoreURL.open(config.storeURL)
        } catch {
            await qa.stop()
            throw error
        }
        let lease = StationLeaseKeeper(store: store, stationID: config.stationID,
                                       holder: StationLeaseKeeper.thisProcess(), timing: .standard,
                                       now: { try await store.storeTime() })
        // Every way out frees the id and closes the store: closing is what folds SQLite's WAL
        // into the file.
        @Sendable func closeStore() async {
            await lease.release()
            await store.close()
        }
        let boardData: (any BoardDataSource)?
        do {
            let interrupted = try await lease.start()
            if interrupted > 0 { observer.note("\(interrupted) run(s) left in flight by an earlier start marked interrupted") }
            // After the lease: an earlier start's rows are back in the pool before it is counted.
            boardData = try await openBoardData(store: store)
            try await store.ensureBatch(config.batch)
        } catch {
            await qa.stop()
            await closeStore()
            throw error
        }
        if config.sharedQAServer != nil {
            observer.note("QA: boards are judged by the shared QA server \(config.sharedQAServer?.url ?? ""); boards use \(qa.publicURL)")
        }
        var settings = PipelineSettings(profile: config.profile, batch: config.batch.name, stationID: config.stationID)
        settings.firmwareSHA256 = SHA256Hex.of(config.package.plan.images.flatMap(\.bytes))
        settings.scriptSHA256 = config.production.sha256
        settings.appLog = config.appLog
        settings.queueForDelivery = config.webhook != nil
        settings.boardData = boardData
        settings.boardDataLayout = config.profile.boardData
        settings.boardFilesFolder = config.boardFilesFolder
        if let boardData, config.profile.boardData.isEmpty {
            observer.note("\(boardData.name): each board gets a row, but the profile's [provisioning] writes none of it")
        } else if boardData == nil, !config.profile.boardData.isEmpty {
            observer.note("the profile's [provisioning] maps board data, but no --pool or --board-data gives any: none is written")
        }
        do {
            settings.identityGates = try identityGates(store: store)
        } catch {
            await qa.stop()
            await closeStore()
            throw error
        }
        let webhook: WebhookPoster?
        do {
            webhook = try config.webhook.map {
                try WebhookPoster(url: $0, onDelivered: { runID in
                    // A failed delete only means the record is posted once more at the next start.
                    try? await store.markDelivered(runID: runID)
                })
            }
            try await postLeftovers(store: store, webhook: webhook)
        } catch {
            await qa.stop()
            await closeStore()
            throw error
        }
        let tally = Tally(limit: config.boardLimit ?? Int.max, stopWhenIdleAfterFirst: config.stopWhenIdleAfterFirst)
        let stationID = config.stationID
        await lease.heartbeat(lost: {
            // Another start took the id over after missed heartbeats (this process stalled): its
            // boards are no longer ours to start. Boards in flight still record their verdicts.
            observer.note("station id \(stationID): the lease was taken over by another start; no new boards")
            tally.stopClaiming()
        }, trouble: { error in
            observer.note("station id \(stationID): lease heartbeat not written (retried): \(error)")
        })
        let onPass = config.onPass.map { command in
            OnPassHook(command: command) { outcome in
                let payload = (try? JSONEncoder().encode(outcome)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                do {
                    try await store.recordEvent(EventRecord(runID: outcome.runID, kind: OnPassHook.eventKind,
                                                            payload: payload, seq: OnPassHook.eventSequence))
                } catch {
                    observer.note("on-pass hook of run \(outcome.runID): its outcome was not stored: \(error)")
                }
                if !outcome.succeeded {
                    let why = outcome.timedOut ? "stopped after \(OnPassHook.defaultTimeLimit)"
                        : outcome.exitStatus.map { "exit \($0)" } ?? "did not run"
                    let said = outcome.output.split(separator: "\n").last.map { ": \($0)" } ?? ""
                    observer.note("on-pass hook of run \(outcome.runID) failed (\(why))\(said)")
                }
            }
        }
        let finished: @Sendable (RunOutcome) async -> Void = { outcome in
            tally.record(outcome.status)
            let passed = outcome.status == .pass
            guard webhook != nil || (onPass != nil && passed) else { return }
            guard let record = try? await store.runs(RunQuery(runID: outcome.runID)).first else { return }
            let payload = BoardRecordPayload(run: record)
            await webhook?.post(payload)
            if passed { await onPass?.start(payload) }
        }
        // The https check needs a certificate the QA image can trust.
        let qaPlan = qa.caPEM == nil ? config.qaPlan.without(.https) : config.qaPlan
        let materials = StationMaterials(package: config.package, agentBoot: config.agentBoot,
                                         productionImage: config.production, qaSessions: qa.service,
                                         qaPlan: qaPlan, qaImage: qaImage.trusting(qa.caPEM))
        let line = HardwareLine(materials: materials, link: config.link, ports: source.ports, flasher: config.flasher,
                                bootEntry: config.bootEntry, downloadBaud: config.profile.downloadBaud,
                                runtimeBaud: config.profile.runtimeBaud, bootCheck: config.bootCheck,
                                logEscaping: config.logEscaping)
        let reports: AsyncThrowingStream<SlotReport, Error>
        do {
            reports = try source.reports()
        } catch {
            // A source may have started some of its boards before it failed.
            await source.close()
            await webhook?.shutdown()
            await qa.stop()
            await closeStore()
            throw error
        }
        controls?.intakeStop.onRaise {
            observer.note("the operator stopped taking boards: the station ends after the boards in flight")
            tally.stopClaiming()
        }
        let work = drive(reports, source: source, line: line, settings: settings, store: store, tally: tally,
                         boardData: boardData, controls: controls, finished: finished)
        stop.onRaise {
            tally.stopClaiming()
            work.cancel()
        }
        await work.value
        await source.close()
        await qa.stop()
        await onPass?.drain()
        let undelivered = await drainWebhook(webhook, store: store)
        if let folder = config.reportFolder {
            await writeReports(into: folder, store: store)
        }
        await closeStore()
        let counts = tally.counts
        if let reason = tally.heldBackReason {
            observer.note("stopped taking boards: \(reason); boards left in their slots wait, none failed"
                          + (boardData.map { " (add rows to the \($0.name) and start again)" } ?? ""))
        }
        observer.note("done: \(counts.passed) passed, \(counts.failed) failed"
                      + (counts.other > 0 ? ", \(counts.other) not decided" : ""))
        return StationRunSummary(passed: counts.passed, failed: counts.failed, other: counts.other,
                                 undelivered: undelivered)
    }

    // MARK: - Identity gates

    /// The profile's `[gates]` with what they need (the store, the label input), or nil when
    /// every gate is off. A gate the station cannot honour refuses the start, naming the profile.
    private func identityGates(store: any ResultsStore) throws -> IdentityGates? {
        let config = configuration
        let gates = config.profile.gates
        guard gates.anyOn else { return nil }
        do {
            let expected = IdentityGates.expectedFirmware(of: config.package)
            if gates.firmwareVersion && expected == nil {
                observer.note("gates: \(config.package.path) does not say its firmware version; firmware_version is skipped")
            }
            return try IdentityGates(settings: gates, expectedFirmware: expected, rework: config.rework,
                                     passedRuns: config.passedIMEILookup ?? (store as? any PassedIMEILookup),
                                     labels: config.labelSource)
        } catch let error as IdentityGateSetupError {
            throw QAInputError(file: config.profile.source, reason: error.description)
        }
    }

    // MARK: - QA sessions

    /// Who judges the boards: the station's own QA server (started here, stopped by `stop`), or a
    /// shared `provision qa-server`, reached once now so a wrong URL or token stops the start.
    struct QASessions: Sendable {
        let service: any QASessionService
        let publicURL: String
        let caPEM: String?
        let stop: @Sendable () async -> Void
    }

    private func startQASessions() async throws -> QASessions {
        let config = configuration
        if let shared = config.sharedQAServer {
            let client = try SharedQAServerClient(serverURL: shared.url, adminToken: shared.token)
            return QASessions(service: client, publicURL: try await client.publicURL, caPEM: try await client.caPEM,
                              stop: {})
        }
        let https = config.https
        let server = QAServer(host: config.qaListen.host, port: config.qaListen.port, publicURL: config.qaPublicURL,
                              tls: https?.identity, httpsPort: https?.port ?? 0, publicHTTPSURL: https?.publicURL)
        do {
            _ = try await server.start()
        } catch {
            throw StationEnvironmentError("the QA server cannot listen on \(config.qaListen): \(error)")
        }
        return QASessions(service: server, publicURL: await server.publicURL, caPEM: https?.identity.certificatePEM,
                          stop: { await server.stop() })
    }

    /// Real boards reach the QA server from the carrier's network, never this PC's loopback.
    private func checkBoardsReach(_ url: String) throws {
        guard configuration.boardsUseCarrierNetwork else { return }
        switch QABoardReach.of(url: url) {
        case .loopback?, nil:
            let given = configuration.sharedQAServer.map { "the shared QA server \($0.url) gives boards \(url)" }
                ?? (configuration.qaPublicURL.map { "--qa-url \($0)" } ?? "without --qa-url, boards would be given \(url)")
            throw BoardReachError("\(given), which is this PC: boards on 4G cannot reach it. Give --qa-url URL (the "
                                  + "address boards reach this station at, e.g. a public host forwarding to --qa-listen "
                                  + "0.0.0.0:PORT) or --qa-server URL (a shared provision qa-server)")
        case .privateNetwork?:
            observer.note("QA: boards are given \(url), a private address: boards reach it only through a private APN")
        case .publicAddress?:
            break
        }
    }

    // MARK: - Boards

    /// Runs the slots on `reports`: a board that arrives in a free slot runs the pipeline, and
    /// its slot takes the next board once it has left.
    private func drive(_ reports: AsyncThrowingStream<SlotReport, Error>, source: any BoardSource, line: HardwareLine,
                       settings: PipelineSettings, store: any ResultsStore, tally: Tally,
                       boardData: (any BoardDataSource)?, controls: StationControls?,
                       finished: @escaping @Sendable (RunOutcome) async -> Void) -> Task<Void, Never> {
        let link = line.link
        let stationID = configuration.stationID
        let allowed = configuration.allowedSlots
        let observer = self.observer
        let operatorSwaps = !source.swapsBoards
        // Slots whose board was held back (empty pool): it never ran, so it is not "done".
        let heldBack = Mutex<Set<PhysicalPath>>([])
        var dispatcher = SlotDispatcher(
            accepts: { slot in allowed?.contains(slot.path) ?? true },
            isReady: { report in report.isReady(for: link) },
            claim: { tally.claim() },
            hasBudget: { tally.hasBudget },
            swapSettle: source.swapSettle,
            onEvent: { event in
                switch event {
                case .started, .left: break
                case .finished(let slot):
                    if operatorSwaps, !heldBack.withLock({ $0.contains(slot.path) }) {
                        observer.note("\(slot.label): done; swap the board")
                    }
                case .held(let slot):
                    observer.note("\(slot.label): the finished board is back (reset?); remove it to start the next")
                    Task { await source.held(slot) }
                case .unknownShape(let slot, let message):
                    observer.slotNote(path: slot.path.rawValue, label: slot.label, step: "unknown shape", message)
                case .refused(let slot):
                    if let reason = tally.heldBackReason {
                        observer.slotNote(path: slot.path.rawValue, label: slot.label, step: "waiting", "waiting: \(reason)")
                    }
                }
            },
            runBoard: { devices in
                let label = devices.slot.label
                let path = devices.slot.path.rawValue
                let runID = UUID().uuidString
                // A pool's row is claimed before the board is touched: an empty pool holds the
                // board back in its slot (it waits, it does not fail) and no more boards start.
                var row: BoardDataRow?
                if let boardData, boardData.claimsBeforeStart {
                    do {
                        row = try await boardData.claim(for: BoardDataRequest(runID: runID, slotLabel: label))
                    } catch {
                        observer.slotNote(path: path, label: label, step: "waiting",
                                          "waiting: \(boardData.name) cannot be read: \(error)")
                        tally.holdBack("\(boardData.name) cannot be read")
                        heldBack.withLock { _ = $0.insert(devices.slot.path) }
                        return
                    }
                    guard row != nil else {
                        let reason = "\(boardData.name) empty"
                        tally.holdBack(reason)
                        heldBack.withLock { _ = $0.insert(devices.slot.path) }
                        observer.slotNote(path: path, label: label, step: "waiting", "waiting: \(reason)")
                        return
                    }
                }
                // What the driver goes through (boot-entry strategies, images, retries) joins the
                // run's events on the operator's display and the JSON lines.
                let board = HardwareSlotBoard(devices: devices, line: line,
                                              boardID: "\(stationID)/\(label)/\(runID.prefix(8))",
                                              events: { kind in
                                                  observer.show(StationEvent(slotPath: path, slotLabel: label,
                                                                             runID: runID, kind: kind))
                                              })
                let pipeline = SlotPipeline(slotLabel: label, settings: settings, store: store, emit: observer.show)
                var passed = false
                do {
                    let outcome = try await pipeline.run(board, runID: runID, boardData: row)
                    passed = outcome.status == .pass
                    await finished(outcome)
                } catch {
                    observer.note("\(label): cannot record: \(error)")
                    tally.record(.interrupted)
                }
                if let row, let boardData {
                    do {
                        try await boardData.settle(row, passed: passed)
                    } catch {
                        observer.note("\(label): \(boardData.name) row \(row.ref.row) not settled (the next start "
                                      + "of this station settles it): \(error)")
                    }
                }
                await board.release()
                await source.finished(devices.slot)
            })
        if let controls {
            dispatcher.mayStart = { slot in await controls.mayStart(slot: slot.path.rawValue) }
        }
        let rechecks = controls?.rechecks
        return Task { [dispatcher] in await dispatcher.run(reports, rechecks: rechecks) }
    }

    // MARK: - Per-board data

    /// The source boards draw their data from: a pool (after a `--pool FILE.csv` import) or a
    /// keyed file. An import that conflicts with the pool refuses the start, naming file and line.
    private func openBoardData(store: SQLResultsStore) async throws -> (any BoardDataSource)? {
        switch configuration.boardData {
        case nil:
            return nil
        case .table(let table)?:
            observer.note("board data: \(table.count) row(s) from \(table.file), looked up by \(table.keyColumn)")
            return table
        case .pool(let name, let importing, let idColumn)?:
            if let importing {
                let result = try await store.importPoolRows(importing, pool: name, idColumn: idColumn)
                observer.note("pool \(name): \(result.added) row(s) imported from \(importing.file)"
                              + (result.skipped.isEmpty ? "" : ", \(result.skipped.count) already there (skipped)"))
            }
            let status = try await store.poolStatus(pool: name)
            // A pool with no row at all is a misspelt name or a missing import, not a pool used up.
            guard status.total > 0 else {
                throw RecordsError(store: store.label, reason: "no pool \(name) (import its rows: provision pool import "
                                   + "FILE.csv --name \(name), or --pool FILE.csv)", isInputError: true)
            }
            observer.note("pool \(name): \(status.available) row(s) available, \(status.claimed) claimed, \(status.kept) kept")
            return PoolDataSource(store: store, pool: name, stationID: configuration.stationID)
        }
    }

    // MARK: - Webhook

    /// What an earlier start of this station could not deliver goes first, in its order.
    private func postLeftovers(store: SQLResultsStore, webhook: WebhookPoster?) async throws {
        let leftovers = try await store.undeliveredRuns(stationID: configuration.stationID)
        guard !leftovers.isEmpty else { return }
        if let webhook {
            for runID in leftovers {
                if let record = try await store.runs(RunQuery(runID: runID)).first {
                    await webhook.post(BoardRecordPayload(run: record))
                }
            }
            observer.note("webhook: \(leftovers.count) record(s) left undelivered by an earlier start posted again")
        } else {
            observer.note("webhook: \(leftovers.count) record(s) wait in the webhook outbox of \(store.label); "
                          + "they are posted when this station starts with a webhook")
        }
    }

    /// Waits for the webhook to deliver what is queued (bounded), and counts what is left.
    private func drainWebhook(_ webhook: WebhookPoster?, store: SQLResultsStore) async -> Int {
        guard let webhook else { return 0 }
        let emptied = await webhook.drain(timeout: Self.webhookDrainLimit)
        // Shut down before counting: it ends the delivery in flight, so a hung collector is
        // counted (and not left holding the stop), and nothing is posted after the count.
        await webhook.shutdown()
        let failures = await webhook.failures
        // The outbox, not the poster's tally, says what is undelivered: it also holds what an
        // earlier start left and what a 4xx refused.
        let kept: Int
        do {
            kept = try await store.undeliveredRuns(stationID: configuration.stationID).count
        } catch {
            observer.note("webhook: the outbox of \(store.label) cannot be read: \(error)")
            kept = max(failures.count, 1)
        }
        if kept > 0 {
            let why = emptied ? (failures.first ?? "not delivered")
                : "the collector did not finish within the \(Self.webhookDrainLimit) drain limit"
            observer.note("webhook: \(kept) record(s) not delivered to \(configuration.webhook ?? ""); kept in the webhook "
                          + "outbox of \(store.label), posted again at this station's next start (\(why))")
        }
        return kept
    }

    // MARK: - After the run

    private func writeReports(into folder: String, store: any ResultsStore) async {
        let batch = configuration.batch.name
        do {
            let runs = try await store.runs(RunQuery(batch: batch))
            let base = batch.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
            for format in configuration.reportFormats {
                let path = (folder as NSString).appendingPathComponent(String(base) + "." + format.fileExtension)
                let text = try format.render(title: "Batch \(batch)", runs: runs)
                try writeAtomically(Array(text.utf8), to: path)
                observer.note("report: \(path)")
            }
        } catch {
            observer.note("reports not written: \(error)")
        }
    }
}
