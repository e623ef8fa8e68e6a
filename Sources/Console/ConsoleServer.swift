import Firmware
import Foundation
import Hummingbird
import Logging
import NIOCore
import Records
import Station

/// The console: one page served by the station (or by `provision console` for the line) with the
/// slots' tiles and the counters, pushed live over Server-Sent Events, and the operator's actions.
public actor ConsoleServer {
    /// How often changes are pushed to the pages: often enough to look live, seldom enough that
    /// 64 slots' progress costs the station little.
    public static let pushInterval: Duration = .milliseconds(200)
    /// A slot's state is written to the shared store at most this often.
    public static let storeInterval: Duration = .milliseconds(500)
    /// The line view reads the store this often.
    public static let lineInterval: Duration = .seconds(1)
    static let keepAliveInterval: Duration = .seconds(15)

    public nonisolated let state: ConsoleState
    public nonisolated let observer: ConsoleObserver
    let hub = ConsoleHub()
    let actions: (any ConsoleActions)?
    let token: String?
    let store: ConsoleStore?
    private let listen: HostPort
    private let heard: AsyncStream<ConsoleObserver.Heard>
    private var consumer: Task<Void, Never>?
    private var loops: [Task<Void, Never>] = []
    private var server: Task<Void, Error>?
    private var port: Int?

    /// `token`: what actions must carry (`Authorization: Bearer …`); nil turns actions off.
    public init(state: ConsoleState, listen: HostPort, token: String?, actions: (any ConsoleActions)?,
                storeURL: String?) {
        self.state = state
        self.listen = listen
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.actions = actions
        store = storeURL.map(ConsoleStore.init(url:))
        let (stream, sink) = AsyncStream.makeStream(of: ConsoleObserver.Heard.self)
        heard = stream
        observer = ConsoleObserver(sink: sink)
    }

    /// Starts applying the station's events and pushing changes; with `serve`, also the page
    /// (returns the bound port, else 0).
    @discardableResult
    public func start(serve: Bool = true) async throws -> Int {
        let state = self.state, hub = self.hub, heard = self.heard
        consumer = Task {
            for await item in heard {
                switch item {
                case .event(let event):
                    await state.apply(event)
                    if case .verdict = event.kind { await self.identify(runID: event.runID) }
                case .slotNote(let path, let label, let text):
                    await state.slotNote(path: path, label: label, text)
                }
            }
        }
        loops.append(Task {
            var quiet = Duration.zero
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.pushInterval)
                if let update = await state.takeUpdate() {
                    await hub.push(SSE.message("update", update))
                    quiet = .zero
                } else {
                    quiet += Self.pushInterval
                    if quiet >= Self.keepAliveInterval { await hub.push(SSE.keepAlive); quiet = .zero }
                }
            }
        })
        guard serve else { return 0 }
        let bound = try await listenHTTP()
        port = bound
        return bound
    }

    /// Writes the slots' states to the shared store (schema v9) for the line view: this
    /// station's old rows go first, then each changed tile at most every `storeInterval`.
    public func writeSlotStates(stationID: String) {
        guard let store else { return }
        let state = self.state
        loops.append(Task {
            var cleared = false
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.storeInterval)
                await Self.writeChanges(state: state, store: store, stationID: stationID, cleared: &cleared)
            }
        })
    }

    private static func writeChanges(state: ConsoleState, store: ConsoleStore, stationID: String,
                                     cleared: inout Bool) async {
        guard let records = try? await store.open() else { return }
        if !cleared {
            guard (try? await records.deleteSlotStates(stationID: stationID)) != nil else { return }
            cleared = true
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var failed: [ConsoleTile] = []
        for tile in await state.takeStoreChanges() {
            guard let json = try? encoder.encode(tile) else { continue }
            do {
                try await records.putSlotState(StoredSlotState(stationID: stationID, slot: tile.slot,
                                                               state: String(decoding: json, as: UTF8.self),
                                                               updatedAt: Date()))
            } catch {
                failed.append(tile)
            }
        }
        // Written again next time (the tile as it is then), also when the writer was stopped
        // mid-write: the station's closing write then takes them.
        if !failed.isEmpty { await state.unwritten(failed) }
    }

    /// The line view: every station's slots and the boards decided within `window` before now,
    /// read from the shared store every `lineInterval`.
    public func followLine(window: TimeInterval) {
        guard let store else { return }
        let state = self.state
        loops.append(Task {
            while !Task.isCancelled {
                await Self.readLine(state: state, store: store, window: window)
                try? await Task.sleep(for: Self.lineInterval)
            }
        })
    }

    /// One read of the line: a store that cannot be read leaves the page as it was.
    static func readLine(state: ConsoleState, store: ConsoleStore, window: TimeInterval) async {
        guard let records = try? await store.open(),
              let slots = try? await records.slotStates() else { return }
        let decoder = JSONDecoder()
        let tiles = slots.compactMap { row -> ConsoleTile? in
            guard var tile = try? decoder.decode(ConsoleTile.self, from: Data(row.state.utf8)) else { return nil }
            tile.station = row.stationID
            return tile
        }
        let since = Date().addingTimeInterval(-window)
        guard let runs = try? await records.runs(RunQuery(since: since)) else { return }
        let boards = runs.compactMap { run -> BoardSummary? in
            guard run.status != .running, let finished = run.finishedAt else { return nil }
            return BoardSummary(runID: run.runID, station: run.stationID, slot: run.slotPath, label: run.slotLabel,
                                status: run.status.rawValue, failureClass: run.failureClass?.rawValue,
                                finishedAt: ConsoleState.ms(finished),
                                seconds: finished.timeIntervalSince(run.startedAt), imei: run.imei)
        }
        let first = runs.map(\.startedAt).min() ?? since
        await state.replaceLine(tiles: tiles, boards: boards, since: max(first, since))
    }

    private func identify(runID: String) async {
        guard let store, let records = try? await store.open(),
              let imei = try? await records.runs(RunQuery(runID: runID)).first?.imei else { return }
        await state.identify(runID: runID, imei: imei)
    }

    /// What the console handled, for the station's closing note and the benchmark.
    public struct Figures: Sendable {
        public let eventsApplied: Int
        public let messagesSent: Int
    }

    /// Applies what is queued, pushes and writes it a last time, then stops serving.
    public func stop(stationID: String? = nil) async -> Figures {
        observer.sink.finish()
        await consumer?.value
        loops.forEach { $0.cancel() }
        for loop in loops { await loop.value }
        loops = []
        if let update = await state.takeUpdate() { await hub.push(SSE.message("update", update)) }
        if let store, let stationID {
            var cleared = true
            await Self.writeChanges(state: state, store: store, stationID: stationID, cleared: &cleared)
        }
        let figures = Figures(eventsApplied: await state.eventsApplied, messagesSent: await hub.messagesSent)
        await hub.closeAll()
        server?.cancel()
        _ = try? await server?.value
        server = nil
        await store?.close()
        return figures
    }

    // MARK: - HTTP

    private func listenHTTP() async throws -> Int {
        let router = ConsoleRoutes.router(console: self)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "provision.console")
        logger.logLevel = .critical
        let app = Application(router: router, server: .http1(),
                              configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil),
                              onServerRunning: { channel in
                                  portSink.yield(channel.localAddress?.port ?? 0)
                                  portSink.finish()
                              },
                              logger: logger)
        let (errors, errorSink) = AsyncStream.makeStream(of: String.self)
        server = Task {
            do { try await app.runService(gracefulShutdownSignals: []) }
            catch { errorSink.yield("\(error)"); portSink.finish(); throw error }
            errorSink.finish()
            portSink.finish()
        }
        var port: Int?
        for await p in ports { port = p; break }
        guard let port, port > 0 else {
            var reason = "could not listen"
            for await e in errors { reason = e; break }
            throw ConsoleError("the console cannot listen on \(listen): \(reason)")
        }
        return port
    }
}

/// The console could not start (its address is taken or not this machine's).
public struct ConsoleError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
