import Foundation

/// Pools of per-board rows (schema v8, `pool_rows`). A row is claimed by one run of one station in
/// one statement, so two boards — also on two stations sharing a PostgreSQL store — never get the
/// same row; it is kept when that run passes and available again when it fails, is interrupted,
/// or its station died before deciding it (the next start of that station id returns it).
extension SQLResultsStore {
    /// Claiming again after an empty answer: on PostgreSQL `SKIP LOCKED` passes over a row
    /// another claimer holds for an instant; a second look tells "empty" from "busy".
    static let claimAttempts = 3

    /// Gives `runID` of `stationID` one available row of `pool` (oldest import first), or nil
    /// when none is left.
    public func claimPoolRow(pool: String, stationID: String, runID: String, at: Date = Date()) async throws -> PoolRow? {
        for _ in 0..<Self.claimAttempts {
            let rows = try await database.change(SQLStatement(
                """
                UPDATE pool_rows SET state = ?, claimed_station = ?, claimed_run = ?, claimed_at = ?
                WHERE pool = ? AND state = ? AND row_id = (
                    SELECT row_id FROM pool_rows WHERE pool = ? AND state = ? ORDER BY seq, row_id LIMIT 1
                    \(database.skipLockedClause))
                RETURNING row_id, row_values
                """,
                [.text(PoolRowState.claimed.rawValue), .text(stationID), .text(runID), .time(at), .text(pool),
                 .text(PoolRowState.available.rawValue), .text(pool), .text(PoolRowState.available.rawValue)]),
                returning: [.text, .text])
            if let row = rows.first, let id = row[0].text {
                return PoolRow(pool: pool, id: id,
                               values: try PoolValuesColumn.decode(row[1].text, pool: pool, row: id, store: label))
            }
            guard try await poolStatus(pool: pool).available > 0 else { return nil }
        }
        return nil
    }

    /// The row `runID` claimed is kept (its board passed); false when it holds none.
    @discardableResult
    public func keepPoolRow(runID: String, at: Date = Date()) async throws -> Bool {
        try await !database.change(Self.keepStatement(runID: runID, at: at, returning: true), returning: [.text]).isEmpty
    }

    /// The row `runID` claimed is available again (its board failed or was stopped); false when
    /// it holds none (already settled).
    @discardableResult
    public func releasePoolRow(runID: String) async throws -> Bool {
        try await !database.change(Self.releaseStatement(runID: runID, returning: true), returning: [.text]).isEmpty
    }

    /// Rows in each state, per pool (`pool` nil: every pool, by name).
    public func poolStatus(pool: String? = nil) async throws -> [PoolStatus] {
        let filter = pool == nil ? "" : "WHERE pool = ?"
        let rows = try await database.fetch(SQLStatement(
            "SELECT pool, state, COUNT(*) FROM pool_rows \(filter) GROUP BY pool, state ORDER BY pool",
            pool.map { [.text($0)] } ?? []), columns: [.text, .text, .int])
        var byPool: [String: PoolStatus] = [:]
        for r in rows {
            let name = r[0].text ?? ""
            var status = byPool[name] ?? PoolStatus(pool: name)
            let n = Self.count(r[2].int)
            switch PoolRowState(rawValue: r[1].text ?? "") {
            case .available?: status.available += n
            case .claimed?: status.claimed += n
            case .kept?: status.kept += n
            case nil:
                throw RecordsError(store: label, reason: "pool \(name) has rows in an unknown state \"\(r[1].text ?? "")\"",
                                   isInputError: true)
            }
            byPool[name] = status
        }
        return byPool.keys.sorted().map { byPool[$0]! }
    }

    /// The status of one pool (all zero when it has no rows).
    public func poolStatus(pool: String) async throws -> PoolStatus {
        try await poolStatus(pool: Optional(pool)).first ?? PoolStatus(pool: pool)
    }

    /// Adds `table`'s rows to `pool`, each identified by its `idColumn` value. A row whose id
    /// the pool already holds with the same values is skipped (a file imported twice); one with
    /// other values, an empty id, or an id twice in the file refuses the whole import, naming the
    /// file and line; nothing is written then.
    public func importPoolRows(_ table: CSVTable, pool: String, idColumn: String = PoolDefaults.idColumn,
                               at: Date = Date()) async throws -> PoolImportResult {
        guard !pool.isEmpty else { throw CSVError(file: table.file, line: nil, reason: "the pool needs a name") }
        let idIndex = try table.column(idColumn)
        let existing = try await database.fetch(SQLStatement(
            "SELECT row_id, row_values FROM pool_rows WHERE pool = ?", [.text(pool)]), columns: [.text, .text])
        var stored: [String: String] = [:]
        for r in existing { if let id = r[0].text { stored[id] = r[1].text } }
        let seqRows = try await database.fetch(SQLStatement(
            "SELECT COALESCE(MAX(seq), 0) FROM pool_rows WHERE pool = ?", [.text(pool)]), columns: [.int])
        var seq = seqRows.first?.first?.int ?? 0
        var inFile: [String: Int] = [:]
        var skipped: [String] = []
        var statements: [SQLStatement] = []
        for row in table.rows {
            let id = row.fields[idIndex].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else {
                throw CSVError(file: table.file, line: row.line, reason: "the \(idColumn) column is empty")
            }
            if let first = inFile[id] {
                throw CSVError(file: table.file, line: row.line,
                               reason: "\(idColumn) \"\(id)\" already on line \(first)")
            }
            inFile[id] = row.line
            let values = table.values(of: row)
            if let old = stored[id] {
                guard let oldValues = try? PoolValuesColumn.decode(old, pool: pool, row: id, store: label),
                      oldValues == values else {
                    throw CSVError(file: table.file, line: row.line,
                                   reason: "pool \(pool) already holds \(idColumn) \"\(id)\" with other values")
                }
                skipped.append(id)
                continue
            }
            let (next, overflow) = seq.addingReportingOverflow(1)
            guard !overflow else { throw RecordsError(store: label, reason: "pool \(pool) is full") }
            seq = next
            statements.append(SQLStatement(
                """
                INSERT INTO pool_rows (pool, row_id, seq, row_values, state, imported_at) VALUES (?, ?, ?, ?, ?, ?)
                """,
                [.text(pool), .text(id), .int(seq), .text(try PoolValuesColumn.encode(values)),
                 .text(PoolRowState.available.rawValue), .time(at)]))
        }
        // One transaction: a concurrent import of the same ids fails on the key, and nothing of
        // this file is left half written.
        if !statements.isEmpty { try await database.transaction(statements) }
        return PoolImportResult(added: statements.count, skipped: skipped)
    }

    /// The newest passed run of `imei`, if any (the duplicate-IMEI gate asks before it passes a board).
    public func passedRun(imei: String) async throws -> String? {
        let rows = try await database.fetch(SQLStatement(
            "SELECT id FROM runs WHERE imei = ? AND status = ? ORDER BY finished_at DESC, id DESC LIMIT 1",
            [.text(imei), .text(RunStatus.pass.rawValue)]), columns: [.text])
        return rows.first?.first?.text
    }

    // MARK: - Statements shared with finishing and recovering runs

    static func keepStatement(runID: String, at: Date, returning: Bool = false) -> SQLStatement {
        SQLStatement("UPDATE pool_rows SET state = ?, kept_at = ? WHERE claimed_run = ? AND state = ?"
                     + (returning ? " RETURNING row_id" : ""),
                     [.text(PoolRowState.kept.rawValue), .time(at), .text(runID), .text(PoolRowState.claimed.rawValue)])
    }

    static func releaseStatement(runID: String, returning: Bool = false) -> SQLStatement {
        SQLStatement(
            """
            UPDATE pool_rows SET state = ?, claimed_station = NULL, claimed_run = NULL, claimed_at = NULL
            WHERE claimed_run = ? AND state = ?
            """ + (returning ? " RETURNING row_id" : ""),
            [.text(PoolRowState.available.rawValue), .text(runID), .text(PoolRowState.claimed.rawValue)])
    }

    /// A station starting under its id holds no run in flight: every row still claimed by that
    /// id is settled by what its run's record says — kept when the run passed (the station died
    /// between the verdict and the keep), available again otherwise.
    static func recoveryStatements(stationID: String, at: Date) -> [SQLStatement] {
        [
            SQLStatement(
                """
                UPDATE pool_rows SET state = ?, kept_at = ?
                WHERE claimed_station = ? AND state = ?
                  AND claimed_run IN (SELECT id FROM runs WHERE station_id = ? AND status = ?)
                """,
                [.text(PoolRowState.kept.rawValue), .time(at), .text(stationID), .text(PoolRowState.claimed.rawValue),
                 .text(stationID), .text(RunStatus.pass.rawValue)]),
            SQLStatement(
                """
                UPDATE pool_rows SET state = ?, claimed_station = NULL, claimed_run = NULL, claimed_at = NULL
                WHERE claimed_station = ? AND state = ?
                """,
                [.text(PoolRowState.available.rawValue), .text(stationID), .text(PoolRowState.claimed.rawValue)]),
        ]
    }
}

/// Names shared by the pool's producers and consumers.
public enum PoolDefaults {
    /// The column that identifies a pool row when the profile names none.
    public static let idColumn = "id"
}
