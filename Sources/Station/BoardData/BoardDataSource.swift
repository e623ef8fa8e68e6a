import Firmware
import Foundation
import Records

/// One board's per-board data: the row it was given (the reference its record keeps) and the
/// values the provisioning phase writes into it. The values never go into records or reports.
public struct BoardDataRow: Sendable, Equatable {
    public let ref: BoardDataRef
    public let values: [String: String]
    /// The run the row was given to (a pool row is kept or returned by it).
    public let runID: String

    public init(ref: BoardDataRef, values: [String: String], runID: String) {
        self.ref = ref
        self.values = values
        self.runID = runID
    }
}

/// The board asking for its data: its run, and what is known of it so far.
public struct BoardDataRequest: Sendable, Equatable {
    public var runID: String
    public var slotLabel: String
    /// The board's identities learnt so far (a keyed source looks the board up by one).
    public var imei: String?
    public var iccid: String?

    public init(runID: String, slotLabel: String, imei: String? = nil, iccid: String? = nil) {
        self.runID = runID
        self.slotLabel = slotLabel
        self.imei = imei
        self.iccid = iccid
    }
}

/// Where boards get their per-board data (`--pool`, `--board-data`).
public protocol BoardDataSource: Sendable {
    /// For messages: `pool keys`, `board data rows.csv`.
    var name: String { get }
    /// Rows are handed out before a board starts, so an exhausted source holds boards back
    /// (a pool); false: rows are looked up by the board's identity once it is known.
    var claimsBeforeStart: Bool { get }
    /// The board's row; nil when there is none for it (a pool that is empty; a key not in the file).
    func claim(for board: BoardDataRequest) async throws -> BoardDataRow?
    /// The board's run is decided: a passed board keeps its row, any other outcome gives it back.
    func settle(_ row: BoardDataRow, passed: Bool) async throws
}

/// A pool in the results store: one row per board, claimed in one statement so no row goes to
/// two boards, also across stations sharing a PostgreSQL store.
public struct PoolDataSource: BoardDataSource {
    public let pool: String
    public let stationID: String
    private let store: SQLResultsStore

    public init(store: SQLResultsStore, pool: String, stationID: String) {
        self.store = store
        self.pool = pool
        self.stationID = stationID
    }

    public var name: String { "pool \(pool)" }
    public var claimsBeforeStart: Bool { true }

    public func claim(for board: BoardDataRequest) async throws -> BoardDataRow? {
        // Not cancelled with the slot: a claim the store applied is answered, so the run that
        // holds it records itself (and its row goes back) rather than leaving it claimed.
        let (store, pool, stationID) = (store, pool, stationID)
        let row = try await Task {
            try await store.claimPoolRow(pool: pool, stationID: stationID, runID: board.runID)
        }.value
        return row.map { BoardDataRow(ref: .pool(pool, row: $0.id), values: $0.values, runID: board.runID) }
    }

    public func settle(_ row: BoardDataRow, passed: Bool) async throws {
        // The run's verdict already settled its row in the same commit; this covers a run whose
        // verdict could not be recorded. Settling a settled row changes nothing.
        let store = store
        try await Task {
            _ = passed ? try await store.keepPoolRow(runID: row.runID) : try await store.releasePoolRow(runID: row.runID)
        }.value
    }
}

/// `--board-data FILE.csv`: rows keyed by a column (the IMEI by default), read whole at start;
/// a key given twice refuses the file.
public struct BoardDataTable: BoardDataSource {
    /// The column boards are looked up by when none is named.
    public static let defaultKeyColumn = BoardDataLayout.defaultKeyColumn

    public let file: String
    public let keyColumn: String
    private let rows: [String: [String: String]]

    public init(_ table: CSVTable, keyColumn: String = Self.defaultKeyColumn) throws {
        let index = try table.column(keyColumn)
        var rows: [String: [String: String]] = [:]
        var lines: [String: Int] = [:]
        for row in table.rows {
            let key = row.fields[index].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw CSVError(file: table.file, line: row.line, reason: "the \(keyColumn) column is empty") }
            if let first = lines[key] {
                throw CSVError(file: table.file, line: row.line, reason: "\(keyColumn) \"\(key)\" already on line \(first)")
            }
            lines[key] = row.line
            rows[key] = table.values(of: row)
        }
        file = table.file
        self.keyColumn = keyColumn
        self.rows = rows
    }

    public var name: String { "board data \(file)" }
    public var claimsBeforeStart: Bool { false }
    public var count: Int { rows.count }

    public func claim(for board: BoardDataRequest) async throws -> BoardDataRow? {
        let key: String?
        switch keyColumn {
        case "imei": key = board.imei
        case "iccid": key = board.iccid
        default: key = nil
        }
        guard let key else {
            throw BoardDataError("\(name): \(board.slotLabel) has no \(keyColumn) yet to look its row up by")
        }
        return rows[key].map { BoardDataRow(ref: .boardData((file as NSString).lastPathComponent, key: key), values: $0,
                                            runID: board.runID) }
    }

    /// Rows of a file are not used up: a board reworked later finds its row again.
    public func settle(_ row: BoardDataRow, passed: Bool) async throws {}
}

/// A board's data could not be found or handed out.
public struct BoardDataError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
