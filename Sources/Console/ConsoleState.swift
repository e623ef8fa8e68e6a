import Foundation
import Station
import Vocabulary

/// What the console knows: one tile per slot, the decided boards, and what changed since the page
/// (and the store) were last told. Fed by the station's events (a station's console) or by the
/// shared store (the line view).
public actor ConsoleState {
    /// Boards per hour "now" counts the boards decided within this window.
    public static let recentWindow: TimeInterval = 600
    /// How many boards the page lists.
    public static let recentBoards = 20

    public let mode: String
    public let title: String
    public let actions: Bool
    private let station: String
    private let now: @Sendable () -> Date
    private var tiles: [String: ConsoleTile] = [:]
    private var order: [String] = []
    private var decided: [BoardSummary] = []
    private var started: Date
    private var takingBoards = true
    /// Changed since the last push to pages / the last write to the store.
    private var pageDirty: Set<String> = []
    private var storeDirty: Set<String> = []
    private var countersDirty = false
    private var takingDirty = false
    private var lastCounters: BatchCounters?
    /// Station events applied: the figure the benchmark reads.
    public private(set) var eventsApplied = 0

    public init(mode: String = "station", title: String, station: String, actions: Bool,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.mode = mode
        self.title = title
        self.station = station
        self.actions = actions
        self.now = now
        started = now()
    }

    // MARK: - Station events

    public func apply(_ event: StationEvent) {
        eventsApplied += 1
        var tile = tile(slot: event.slotPath, label: event.slotLabel)
        switch event.kind {
        case .runStarted:
            tile.state = .starting
            tile.step = nil; tile.activity = nil; tile.done = nil; tile.total = nil
            tile.failureClass = nil; tile.detail = nil; tile.decidedAt = nil
            tile.since = Self.ms(event.at)
            tile.runID = event.runID
            tile.imei = nil
            tile.boards += 1
        case .stepStarted(let step, let attempt):
            tile.state = Self.state(of: step)
            tile.step = step.rawValue
            tile.activity = attempt > 1 ? "attempt \(attempt)" : nil
            tile.done = nil; tile.total = nil
        case .progress(_, let done, let total):
            // Progress alone comes often: a tile whose percentage did not move is not pushed.
            let before = Self.percent(tile.done, tile.total)
            tile.done = done; tile.total = total
            if Self.percent(done, total) == before { tiles[key(event.slotPath)] = tile; return }
        case .imageStarted(_, let image, _, _):
            tile.activity = image
        case .check(let check):
            tile.activity = "check \(check.name) " + (check.passed ? "ok" : "FAIL")
        case .operatorAction(_, let prompt):
            tile.state = .waitingOperator
            tile.activity = prompt
        case .bootEntryStrategy(_, let name):
            tile.activity = "boot entry: \(name)"
        case .flashRetry(_, let phase, _, _, _):
            tile.activity = "retry in \(phase)"
        case .gate(let gate):
            tile.activity = "gate \(gate.name) " + (gate.skipped ? "skipped" : gate.passed ? "ok" : "FAIL")
        case .stepFinished, .flashRepeats, .flashNAK, .resetAnswered, .imageVerified:
            return
        case .verdict(let status, let failureClass, _, let detail):
            switch status {
            case .pass: tile.state = .pass
            case .fail: tile.state = .fail
            case .interrupted, .running: tile.state = .interrupted
            }
            tile.failureClass = failureClass?.rawValue
            tile.detail = detail
            tile.lastResult = status.rawValue
            tile.step = nil; tile.done = nil; tile.total = nil; tile.activity = nil
            let at = Self.ms(event.at)
            tile.decidedAt = at
            let seconds = tile.since.map { Double(at - $0) / 1000 }
            decided.append(BoardSummary(runID: event.runID, station: station, slot: event.slotPath,
                                        label: event.slotLabel, status: status.rawValue,
                                        failureClass: failureClass?.rawValue, finishedAt: at, seconds: seconds,
                                        imei: nil))
            countersDirty = true
        }
        store(tile)
    }

    /// A note about a slot outside any run (a device of unknown shape): the tile says so.
    public func slotNote(path: String, label: String, _ text: String) {
        var tile = tile(slot: path, label: label)
        tile.activity = text
        store(tile)
    }

    /// The IMEI the store holds for a decided run.
    public func identify(runID: String, imei: String) {
        if let index = decided.lastIndex(where: { $0.runID == runID }) {
            decided[index].imei = imei
            countersDirty = true
        }
        for (key, tile) in tiles where tile.runID == runID {
            var tile = tile
            tile.imei = imei
            tiles[key] = tile
            markDirty(key)
        }
    }

    // MARK: - Operator's actions

    public func setHeld(slot: String, _ held: Bool) {
        var tile = tile(slot: slot, label: nil)
        tile.held = held
        store(tile)
    }

    public func setScannedLabel(slot: String, _ label: String) {
        var tile = tile(slot: slot, label: nil)
        tile.scannedLabel = label
        store(tile)
    }

    public func stoppedTakingBoards() {
        takingBoards = false
        takingDirty = true
    }

    public func hasSlot(_ slot: String) -> Bool { tiles[key(slot)] != nil }

    /// The label a slot's tile shows (`slot3`, `A1`), as the station names the slot.
    public func label(ofSlot slot: String) -> String? { tiles[key(slot)]?.label }

    // MARK: - The line view

    /// Replaces everything with what the shared store holds: the stations' tiles and the boards
    /// decided in the view's window (`since` starts the per-hour figure).
    public func replaceLine(tiles newTiles: [ConsoleTile], boards: [BoardSummary], since: Date) {
        started = since
        var seen: [String] = []
        for tile in newTiles {
            seen.append(tile.key)
            if tiles[tile.key] != tile {
                tiles[tile.key] = tile
                pageDirty.insert(tile.key)
            }
        }
        for key in order where !seen.contains(key) { tiles[key] = nil }
        order = seen
        if boards != decided {
            decided = boards
            countersDirty = true
        }
    }

    // MARK: - What the page and the store are given

    public func snapshot() -> ConsoleSnapshot {
        ConsoleSnapshot(mode: mode, title: title, actions: actions, tiles: order.compactMap { tiles[$0] },
                        counters: counters(), takingBoards: takingBoards)
    }

    /// What changed since the last call; nil when nothing did. The per-hour figures move with
    /// the clock, so the counters are sent when they differ from the last ones sent.
    public func takeUpdate() -> ConsoleUpdate? {
        let changed = order.filter { pageDirty.contains($0) }.compactMap { tiles[$0] }
        pageDirty = []
        var counters: BatchCounters?
        let current = self.counters()
        if countersDirty || current != lastCounters {
            counters = current
            lastCounters = current
            countersDirty = false
        }
        let taking = takingDirty ? takingBoards : nil
        takingDirty = false
        guard !changed.isEmpty || counters != nil || taking != nil else { return nil }
        return ConsoleUpdate(tiles: changed, counters: counters, takingBoards: taking)
    }

    /// The tiles changed since the last call, for the shared store.
    public func takeStoreChanges() -> [ConsoleTile] {
        let changed = order.filter { storeDirty.contains($0) }.compactMap { tiles[$0] }
        storeDirty = []
        return changed
    }

    /// Tiles a write to the store did not take (it failed, or the writer was stopped mid-write):
    /// the next write takes them again.
    public func unwritten(_ tiles: [ConsoleTile]) {
        storeDirty.formUnion(tiles.map(\.key))
    }

    public func counters() -> BatchCounters {
        let at = now()
        var passed = 0, failed = 0, other = 0, recentCount = 0
        var classes: [String: Int] = [:]
        let recentFrom = Self.ms(at.addingTimeInterval(-Self.recentWindow))
        for board in decided {
            switch board.status {
            case "pass": passed += 1
            case "fail": failed += 1
            default: other += 1
            }
            if board.status == "fail" { classes[board.failureClass ?? "unclassified", default: 0] += 1 }
            if board.finishedAt > recentFrom { recentCount += 1 }
        }
        let boards = decided.count
        let elapsed = max(at.timeIntervalSince(started), 1)
        let window = min(elapsed, Self.recentWindow)
        let pareto = classes.map { BatchCounters.ParetoBar(failureClass: $0.key, count: $0.value) }
            .sorted { ($0.count, $1.failureClass) > ($1.count, $0.failureClass) }
        let recent = decided.sorted { $0.finishedAt > $1.finishedAt }.prefix(Self.recentBoards)
        return BatchCounters(boards: boards, passed: passed, failed: failed, other: other,
                             yield: passed + failed > 0 ? Double(passed) * 100 / Double(passed + failed) : nil,
                             perHourNow: Double(recentCount) * 3600 / window,
                             perHourBatch: Double(boards) * 3600 / elapsed,
                             pareto: pareto, recent: Array(recent))
    }

    // MARK: -

    private func key(_ slot: String) -> String { station + "/" + slot }

    private func tile(slot: String, label: String?) -> ConsoleTile {
        if let tile = tiles[key(slot)] {
            guard let label, tile.label != label else { return tile }
            var relabelled = tile
            relabelled.label = label
            return relabelled
        }
        return ConsoleTile(station: station, slot: slot, label: label ?? slot)
    }

    private func store(_ tile: ConsoleTile) {
        var tile = tile
        // A held slot with no board running reads HELD; a board running in it keeps its state.
        let idle: Set<TileState> = [.empty, .pass, .fail, .interrupted, .held]
        if tile.held, idle.contains(tile.state) {
            tile.state = .held
        } else if !tile.held, tile.state == .held {
            tile.state = tile.lastResult.map(Self.decidedState) ?? .empty
        }
        let key = tile.key
        if tiles[key] == nil { order.append(key) }
        guard tiles[key] != tile else { return }
        tiles[key] = tile
        markDirty(key)
    }

    private func markDirty(_ key: String) {
        pageDirty.insert(key)
        storeDirty.insert(key)
    }

    private static func decidedState(_ status: String) -> TileState {
        switch status {
        case "pass": return .pass
        case "fail": return .fail
        default: return .interrupted
        }
    }

    static func state(of step: StationStep) -> TileState {
        switch step {
        case .enterDownloadMode: return .starting
        case .flashFull, .flashScript: return .flashing
        case .waitRunning: return .rebooting
        case .qa, .appLog: return .qa
        case .bootCheck: return .bootCheck
        }
    }

    private static func percent(_ done: Int?, _ total: Int?) -> Int? {
        guard let done, let total, total > 0 else { return nil }
        return Int((Double(done) * 100 / Double(total)).rounded(.down))
    }

    static func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
