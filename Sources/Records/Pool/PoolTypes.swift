import Foundation

/// One row handed out from a pool: its id (unique within the pool) and its values by column.
/// The values are the secrets a board is given; records and reports carry only the id.
public struct PoolRow: Sendable, Equatable {
    public let pool: String
    public let id: String
    public let values: [String: String]

    public init(pool: String, id: String, values: [String: String]) {
        self.pool = pool
        self.id = id
        self.values = values
    }
}

/// Where a pool row is in its life.
public enum PoolRowState: String, Sendable, CaseIterable {
    /// Not given to any board.
    case available
    /// Given to a run that has not been decided.
    case claimed
    /// Kept by a board that passed with it: never handed out again.
    case kept
}

/// How many rows of one pool are in each state.
public struct PoolStatus: Sendable, Equatable, Codable {
    public var pool: String
    public var available: Int
    public var claimed: Int
    public var kept: Int

    public init(pool: String, available: Int = 0, claimed: Int = 0, kept: Int = 0) {
        self.pool = pool
        self.available = available
        self.claimed = claimed
        self.kept = kept
    }

    public var total: Int { available + claimed + kept }
}

/// What an import added, and which rows were already in the pool with the same values.
public struct PoolImportResult: Sendable, Equatable {
    public var added: Int
    /// Row ids already in the pool with the same values (a file imported again).
    public var skipped: [String]
}

/// The per-board data a run was given, as its record names it: the source (`pool:NAME`, or
/// `board-data:FILE`) and the row's id or key. Never the values.
public struct BoardDataRef: Sendable, Equatable, Codable {
    public var source: String
    public var row: String

    public init(source: String, row: String) {
        self.source = source
        self.row = row
    }

    public static func pool(_ name: String, row: String) -> BoardDataRef { BoardDataRef(source: "pool:" + name, row: row) }
    public static func boardData(_ file: String, key: String) -> BoardDataRef {
        BoardDataRef(source: "board-data:" + file, row: key)
    }
}

/// One identity gate's result on a run (`imei_luhn`, `duplicate_imei`, `label`, …).
public struct GateResult: Sendable, Equatable, Codable {
    /// The gate's profile key (`imei_luhn`, …).
    public var name: String
    public var passed: Bool
    public var detail: String?
    /// The gate could not judge this board (no `mobile.ecnpicfg` in its firmware, a `.soc` that
    /// does not say its version): noted, and not a failure.
    public var skipped: Bool

    public init(name: String, passed: Bool, detail: String? = nil, skipped: Bool = false) {
        self.name = name
        self.passed = passed
        self.detail = detail
        self.skipped = skipped
    }
}

/// The gate results column (schema v8): a JSON object, gate name -> `{"passed": …, "detail": …}`.
enum GateColumn {
    private struct Entry: Codable {
        var passed: Bool
        var detail: String?
        var skipped: Bool?
    }

    static func encode(_ gates: [GateResult]) throws -> String {
        var object: [String: Entry] = [:]
        for g in gates { object[g.name] = Entry(passed: g.passed, detail: g.detail, skipped: g.skipped ? true : nil) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(object), as: UTF8.self)
    }

    /// The gates in name order; nil or empty text reads as none.
    static func decode(_ text: String?, run: String, store: String) throws -> [GateResult] {
        guard let text, !text.isEmpty else { return [] }
        do {
            let object = try JSONDecoder().decode([String: Entry].self, from: Data(text.utf8))
            return object.keys.sorted().map {
                GateResult(name: $0, passed: object[$0]!.passed, detail: object[$0]!.detail, skipped: object[$0]!.skipped ?? false)
            }
        } catch {
            throw RecordsError(store: store, reason: "run \(run): gate_results is not a JSON object of gates",
                               isInputError: true)
        }
    }
}

/// A pool's row values column: a JSON object column -> value, keys sorted so equal rows read equal.
enum PoolValuesColumn {
    static func encode(_ values: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(values), as: UTF8.self)
    }

    static func decode(_ text: String?, pool: String, row: String, store: String) throws -> [String: String] {
        guard let text, let values = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
            throw RecordsError(store: store, reason: "pool \(pool) row \(row): row_values is not a JSON object of text",
                               isInputError: true)
        }
        return values
    }
}
