import Foundation

/// One slot's tile as the page shows it: what the slot is doing, in a word the operator reads
/// from two metres away (the page colours it, but the word is always there).
public struct ConsoleTile: Sendable, Codable, Equatable {
    /// The station the slot belongs to (the line view shows several).
    public var station: String
    /// The slot's physical USB path: how actions name it.
    public var slot: String
    public var label: String
    public var state: TileState
    /// The step under way (`flash_full`, `qa`, …), nil when no board runs.
    public var step: String?
    /// What the step is on: the image being written, the last check heard of.
    public var activity: String?
    /// Progress of the step under way (bytes written of the plan).
    public var done: Int?
    public var total: Int?
    public var failureClass: String?
    public var detail: String?
    /// The last board's result (`pass`, `fail`, `interrupted`), also while the slot reads HELD.
    public var lastResult: String?
    /// When the slot's current (or last) board started, epoch milliseconds.
    public var since: Int64?
    /// When the last board was decided, epoch milliseconds (nil while one runs).
    public var decidedAt: Int64?
    public var runID: String?
    /// The IMEI of the slot's last board, once the store has it.
    public var imei: String?
    /// Boards this slot has taken since the station started.
    public var boards: Int
    /// The operator holds the slot: it finishes its board and takes no next one.
    public var held: Bool
    /// The label last scanned for the slot.
    public var scannedLabel: String?

    public init(station: String, slot: String, label: String) {
        self.station = station
        self.slot = slot
        self.label = label
        state = .empty
        boards = 0
        held = false
    }

    /// The tile's key on a page that shows several stations.
    public var key: String { station + "/" + slot }
}

/// The states a tile can show.
public enum TileState: String, Sendable, Codable, CaseIterable {
    case empty
    /// A board is in the slot, the run is starting (boot entry).
    case starting
    case flashing
    /// Reset, waiting for the running board's ports.
    case rebooting
    case qa
    case bootCheck = "boot_check"
    case pass
    case fail
    /// The run was stopped before a verdict (the station stopped).
    case interrupted
    /// Held by the operator and idle.
    case held
    /// The board needs the operator's hand (hold BOOT and reset).
    case waitingOperator = "waiting_operator"

    /// The word on the tile.
    public var word: String {
        switch self {
        case .empty: return "EMPTY"
        case .starting: return "STARTING"
        case .flashing: return "FLASHING"
        case .rebooting: return "REBOOTING"
        case .qa: return "QA"
        case .bootCheck: return "BOOT CHECK"
        case .pass: return "PASS"
        case .fail: return "FAIL"
        case .interrupted: return "STOPPED"
        case .held: return "HELD"
        case .waitingOperator: return "OPERATOR"
        }
    }
}

/// One decided board, for the counters, the Pareto and the list of recent boards.
public struct BoardSummary: Sendable, Codable, Equatable {
    public var runID: String
    public var station: String
    public var slot: String
    public var label: String
    /// `pass`, `fail` or `interrupted`.
    public var status: String
    public var failureClass: String?
    /// Epoch milliseconds.
    public var finishedAt: Int64
    public var seconds: Double?
    public var imei: String?

    public init(runID: String, station: String, slot: String, label: String, status: String, failureClass: String?,
                finishedAt: Int64, seconds: Double?, imei: String?) {
        self.runID = runID
        self.station = station
        self.slot = slot
        self.label = label
        self.status = status
        self.failureClass = failureClass
        self.finishedAt = finishedAt
        self.seconds = seconds
        self.imei = imei
    }
}

/// The batch's (or the line's) counters.
public struct BatchCounters: Sendable, Codable, Equatable {
    public var boards: Int
    public var passed: Int
    public var failed: Int
    /// Interrupted runs: counted as boards, neither passed nor failed.
    public var other: Int
    /// Passed of passed + failed, in percent; nil before any verdict.
    public var yield: Double?
    /// Boards per hour over the last `ConsoleState.recentWindow`.
    public var perHourNow: Double
    /// Boards per hour since the batch (or the view) started.
    public var perHourBatch: Double
    /// Failure classes, most frequent first.
    public var pareto: [ParetoBar]
    /// The latest boards, newest first.
    public var recent: [BoardSummary]

    public struct ParetoBar: Sendable, Codable, Equatable {
        public var failureClass: String
        public var count: Int
    }
}

/// What the page starts from: every tile and the counters.
public struct ConsoleSnapshot: Sendable, Codable, Equatable {
    /// `station` (one station's console) or `line` (every station from the shared store).
    public var mode: String
    public var title: String
    /// Whether the operator's actions are on (the station has a console token).
    public var actions: Bool
    public var tiles: [ConsoleTile]
    public var counters: BatchCounters
    /// False once the operator stopped the station taking boards.
    public var takingBoards: Bool
    /// The word each state shows (`TileState.word`), so the page spells them as the station does.
    public var words: [String: String] = Dictionary(uniqueKeysWithValues: TileState.allCases.map { ($0.rawValue, $0.word) })
}

/// What changed since the last push: the tiles that changed and, when they changed, the counters.
public struct ConsoleUpdate: Sendable, Codable, Equatable {
    public var tiles: [ConsoleTile]
    public var counters: BatchCounters?
    public var takingBoards: Bool?
}
