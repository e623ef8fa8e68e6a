import Foundation
import Vocabulary

/// The results store over any `SQLDatabase`: the same statements for SQLite and PostgreSQL.
public actor SQLResultsStore: ResultsStore {
    /// Internal, not private: the shared states (SharedStates.swift) write through it too.
    let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public nonisolated var label: String { database.label }

    public func migrate() async throws {
        try await database.migrate(Schema.migrations)
    }

    public func schemaVersion() async throws -> Int {
        let rows = try await database.fetch(SQLStatement("SELECT MAX(version) FROM schema_migrations"), columns: [.int])
        return Int(rows.first?.first?.int ?? 0)
    }

    public func ensureBatch(_ batch: BatchInfo) async throws {
        // ON CONFLICT, not WHERE NOT EXISTS: two stations of a line starting the same batch at the
        // same moment both pass a NOT EXISTS check, and the second insert failed the second start.
        // Both SQLite (3.24+) and PostgreSQL take this form.
        try await database.transaction([SQLStatement(
            """
            INSERT INTO batches (name, operator_id, work_order, profile, created_at)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING
            """,
            [.text(batch.name), .optionalText(batch.operatorID), .optionalText(batch.workOrder),
             .optionalText(batch.profile), .time(batch.createdAt)])])
    }

    public func startRun(_ run: RunStart) async throws {
        try await database.transaction([SQLStatement(
            """
            INSERT INTO runs (id, batch, station_id, slot_path, slot_label, firmware_sha256, script_sha256,
                              started_at, status, board_data_source, board_data_row)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(run.runID), .text(run.batch), .text(run.stationID), .text(run.slotPath), .text(run.slotLabel),
             .optionalText(run.firmwareSHA256), .optionalText(run.scriptSHA256), .time(run.startedAt),
             .text(RunStatus.running.rawValue), .optionalText(run.boardData?.source),
             .optionalText(run.boardData?.row)])])
    }

    public func recordPhase(runID: String, _ phase: PhaseRecord) async throws {
        // The sequence number is computed in the same statement, so retried phases keep their order.
        try await database.transaction([SQLStatement(
            """
            INSERT INTO phases (run_id, seq, name, started_at, ended_at, outcome, detail, flash_naks, flash_retries)
            VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM phases WHERE run_id = ?), ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(runID), .text(runID), .text(phase.name), .time(phase.startedAt), .time(phase.endedAt),
             .text(phase.outcome), .optionalText(phase.detail), .int(Int64(phase.flashNAKs)),
             .int(Int64(phase.flashRetries))])])
    }

    public func recordCheck(runID: String, _ check: CheckRecord) async throws {
        try await database.transaction([
            SQLStatement("DELETE FROM checks WHERE run_id = ? AND name = ?", [.text(runID), .text(check.name)]),
            SQLStatement(
                """
                INSERT INTO checks (run_id, name, passed, code, duration_ms, failure_class, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(runID), .text(check.name), .int(check.passed ? 1 : 0), check.code.map { .int(Int64($0)) } ?? .null,
                 .int(Int64(check.durationMs)), .optionalText(check.failureClass?.rawValue), .optionalText(check.detail)]),
        ])
    }

    public func recordVerdict(runID: String, _ verdict: VerdictRecord) async throws {
        try await database.transaction([SQLStatement(
            """
            UPDATE runs SET qa_session_id = ?, qa_report = ?, qa_signature = ?, qa_key = ?, qa_check_codes = ?,
                            csq = ?, imei = COALESCE(?, imei), iccid = COALESCE(?, iccid)
            WHERE id = ?
            """,
            [.text(verdict.sessionID), .optionalText(verdict.reportBase64), .optionalText(verdict.signature),
             .optionalText(verdict.key), .text(try VerdictColumns.encode(verdict.checkCodes)),
             verdict.csq.map { .int(Int64($0)) } ?? .null, .optionalText(verdict.imei), .optionalText(verdict.iccid),
             .text(runID)])])
    }

    public func recordEvent(_ event: EventRecord) async throws {
        try await database.transaction([SQLStatement(
            "INSERT INTO events (run_id, at, kind, payload, seq) VALUES (?, ?, ?, ?, ?)",
            [.optionalText(event.runID), .time(event.at), .text(event.kind), .text(event.payload), .int(Int64(event.seq))])])
    }

    public func events(runID: String) async throws -> [EventRecord] {
        let rows = try await database.fetch(SQLStatement(
            "SELECT run_id, at, kind, payload, seq FROM events WHERE run_id = ? ORDER BY seq, at", [.text(runID)]),
            columns: [.text, .int, .text, .text, .int])
        return rows.map { r in
            EventRecord(runID: r[0].text, at: r[1].date ?? .distantPast, kind: r[2].text ?? "", payload: r[3].text ?? "",
                        seq: Int(r[4].int ?? 0))
        }
    }

    public func finishRun(_ finish: RunFinish) async throws {
        var statements = [SQLStatement(
            """
            UPDATE runs SET status = ?, failure_class = ?, failure_phase = ?, detail = ?,
                            imei = COALESCE(?, imei), iccid = COALESCE(?, iccid), finished_at = ?,
                            flash_naks = ?, flash_retries = ?
            WHERE id = ?
            """,
            [.text(finish.status.rawValue), .optionalText(finish.failureClass?.rawValue), .optionalText(finish.failurePhase),
             .optionalText(finish.detail), .optionalText(finish.imei), .optionalText(finish.iccid),
             .time(finish.finishedAt), .int(Int64(finish.flashNAKs)), .int(Int64(finish.flashRetries)),
             .text(finish.runID)])]
        if let imei = finish.imei {
            // One upsert, not UPDATE + INSERT ... WHERE NOT EXISTS: two stations finishing one IMEI
            // at once both passed the NOT EXISTS and the second transaction hit the primary key.
            statements.append(SQLStatement(
                """
                INSERT INTO boards (imei, iccid, first_seen, last_seen) VALUES (?, ?, ?, ?)
                ON CONFLICT (imei) DO UPDATE SET iccid = COALESCE(excluded.iccid, boards.iccid),
                                                 last_seen = excluded.last_seen
                """,
                [.text(imei), .optionalText(finish.iccid), .time(finish.finishedAt), .time(finish.finishedAt)]))
        }
        // The run's pool row is settled with its verdict: kept by a pass, available again
        // otherwise, so no crash can leave a passed board's row free for another board.
        statements.append(finish.status == .pass ? Self.keepStatement(runID: finish.runID, at: finish.finishedAt)
                                                 : Self.releaseStatement(runID: finish.runID))
        if finish.queueForDelivery {
            // Same transaction as the verdict: a crash between the two cannot drop the record
            // from the outbox. The station id is the run's own, so the next start of that station
            // finds it; NOT EXISTS keeps a finish written twice to one row.
            statements.append(SQLStatement(
                """
                INSERT INTO webhook_outbox (run_id, station_id, queued_at)
                SELECT id, station_id, ? FROM runs
                WHERE id = ? AND NOT EXISTS (SELECT 1 FROM webhook_outbox WHERE run_id = ?)
                """,
                [.time(finish.finishedAt), .text(finish.runID), .text(finish.runID)]))
        }
        try await database.transaction(statements)
    }

    public func undeliveredRuns(stationID: String) async throws -> [String] {
        let rows = try await database.fetch(SQLStatement(
            "SELECT run_id FROM webhook_outbox WHERE station_id = ? ORDER BY queued_at, run_id", [.text(stationID)]),
            columns: [.text])
        return rows.compactMap { $0.first?.text }
    }

    public func markDelivered(runID: String) async throws {
        try await database.transaction([SQLStatement("DELETE FROM webhook_outbox WHERE run_id = ?", [.text(runID)])])
    }

    public func markInterruptedRuns(stationID: String, at: Date) async throws -> Int {
        let stale = try await database.fetch(
            SQLStatement("SELECT id FROM runs WHERE station_id = ? AND status = ?",
                         [.text(stationID), .text(RunStatus.running.rawValue)]), columns: [.text])
        // Rows this station id still holds are settled in the same commit (a run that died
        // between its claim and its record holds one too).
        try await database.transaction([SQLStatement(
            """
            UPDATE runs SET status = ?, finished_at = ?, failure_class = COALESCE(failure_class, ?),
                            detail = COALESCE(detail, ?)
            WHERE station_id = ? AND status = ?
            """,
            [.text(RunStatus.interrupted.rawValue), .time(at), .text(FailureClass.interrupted.rawValue),
             .text("the station stopped before this run was decided"), .text(stationID),
             .text(RunStatus.running.rawValue)])] + Self.recoveryStatements(stationID: stationID, at: at))
        return stale.count
    }

    public func claimLease(stationID: String, holder: LeaseHolder, now: Date, timing: LeaseTiming,
                           replacing: String?) async throws -> LeaseClaim {
        let nowMs = SQLValue.time(now).int ?? 0
        // LeaseTiming refuses an expiry that does not fit; a `now` near the epoch cannot go below
        // Int64.min either, but the subtraction is checked all the same.
        let (staleBefore, overflow) = nowMs.subtractingReportingOverflow(timing.expiryMilliseconds ?? Int64.max)
        let cutoff = overflow ? Int64.min : staleBefore
        let before = try await lease(stationID: stationID)
        let statements = [
            // A free id: the conditional INSERT is one statement on both backends.
            SQLStatement(
                """
                INSERT INTO station_leases (station_id, holder, host, pid, acquired_at, heartbeat_at)
                SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM station_leases WHERE station_id = ?)
                """,
                [.text(stationID), .text(holder.token), .text(holder.host), .int(Int64(holder.pid)), .int(nowMs),
                 .int(nowMs), .text(stationID)]),
            // A stale or dead holder's lease: the WHERE is evaluated against the row as it is when
            // the row is locked, so of two starts racing for one stale lease only one wins.
            SQLStatement(
                """
                UPDATE station_leases SET holder = ?, host = ?, pid = ?, acquired_at = ?, heartbeat_at = ?
                WHERE station_id = ? AND holder <> ? AND (heartbeat_at < ? OR holder = ?)
                """,
                [.text(holder.token), .text(holder.host), .int(Int64(holder.pid)), .int(nowMs), .int(nowMs),
                 .text(stationID), .text(holder.token), .int(cutoff), .optionalText(replacing)]),
        ]
        do {
            try await database.transaction(statements)
        } catch {
            // PostgreSQL: two starts inserting one free id at once — one insert fails on the
            // primary key. Read what won rather than failing the start.
            guard try await lease(stationID: stationID) != nil else { throw error }
        }
        guard let after = try await lease(stationID: stationID) else {
            throw RecordsError(store: label, reason: "the lease of station \(stationID) was not written")
        }
        guard after.holder.token == holder.token else { return .heldElsewhere(after) }
        return .acquired(replaced: before.flatMap { $0.holder.token == holder.token ? nil : $0 })
    }

    public func renewLease(stationID: String, holderToken: String, now: Date) async throws -> Bool {
        try await database.transaction([SQLStatement(
            "UPDATE station_leases SET heartbeat_at = ? WHERE station_id = ? AND holder = ?",
            [.time(now), .text(stationID), .text(holderToken)])])
        return try await lease(stationID: stationID)?.holder.token == holderToken
    }

    public func releaseLease(stationID: String, holderToken: String) async throws {
        try await database.transaction([SQLStatement(
            "DELETE FROM station_leases WHERE station_id = ? AND holder = ?", [.text(stationID), .text(holderToken)])])
    }

    /// The lease of `stationID`, if any.
    public func lease(stationID: String) async throws -> StationLease? {
        let rows = try await database.fetch(SQLStatement(
            "SELECT holder, host, pid, acquired_at, heartbeat_at FROM station_leases WHERE station_id = ?",
            [.text(stationID)]), columns: [.text, .text, .int, .int, .int])
        guard let r = rows.first else { return nil }
        return StationLease(stationID: stationID,
                            holder: LeaseHolder(token: r[0].text ?? "", host: r[1].text ?? "",
                                                pid: Int(clamping: r[2].int ?? 0)),
                            acquiredAt: r[3].date ?? .distantPast, heartbeatAt: r[4].date ?? .distantPast)
    }

    public func runs(_ query: RunQuery) async throws -> [RunRecord] {
        var conditions: [String] = []
        var arguments: [SQLValue] = []
        if let batch = query.batch { conditions.append("batch = ?"); arguments.append(.text(batch)) }
        if let since = query.since { conditions.append("started_at >= ?"); arguments.append(.time(since)) }
        if let runID = query.runID { conditions.append("runs.id = ?"); arguments.append(.text(runID)) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let rows = try await database.fetch(SQLStatement(
            """
            SELECT id, batch, station_id, slot_path, slot_label, imei, iccid, firmware_sha256, script_sha256,
                   started_at, finished_at, status, failure_class, failure_phase, detail, flash_naks, flash_retries,
                   qa_session_id, qa_report, qa_signature, qa_key, qa_check_codes, csq,
                   board_data_source, board_data_row, gate_results, rework_of
            FROM runs \(filter) ORDER BY started_at, id
            """, arguments),
            columns: [.text, .text, .text, .text, .text, .text, .text, .text, .text, .int, .int, .text, .text, .text, .text,
                      .int, .int, .text, .text, .text, .text, .text, .int, .text, .text, .text, .text])
        var runs = try rows.map { r in
            RunRecord(runID: r[0].text ?? "", batch: r[1].text ?? "", stationID: r[2].text ?? "",
                      slotPath: r[3].text ?? "", slotLabel: r[4].text ?? "", imei: r[5].text, iccid: r[6].text,
                      firmwareSHA256: r[7].text, scriptSHA256: r[8].text, startedAt: r[9].date ?? .distantPast,
                      finishedAt: r[10].date, status: RunStatus(rawValue: r[11].text ?? "") ?? .interrupted,
                      failureClass: r[12].text.map(FailureClass.init(rawValue:)), failurePhase: r[13].text, detail: r[14].text,
                      flashNAKs: Self.count(r[15].int), flashRetries: Self.count(r[16].int), phases: [], checks: [],
                      verdict: try VerdictColumns.read(Array(r[17...22]), imei: r[5].text, iccid: r[6].text,
                                                       run: r[0].text ?? "", store: label),
                      boardData: r[23].text.flatMap { source in r[24].text.map { BoardDataRef(source: source, row: $0) } },
                      gates: try GateColumn.decode(r[25].text, run: r[0].text ?? "", store: label),
                      reworkOf: r[26].text)
        }
        guard !runs.isEmpty else { return [] }
        let index = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1.runID, $0) })
        let phaseRows = try await database.fetch(SQLStatement(
            """
            SELECT p.run_id, p.name, p.started_at, p.ended_at, p.outcome, p.detail, p.flash_naks, p.flash_retries
            FROM phases p
            JOIN runs ON runs.id = p.run_id \(filter.replacingOccurrences(of: "batch", with: "runs.batch")
                .replacingOccurrences(of: "started_at", with: "runs.started_at"))
            ORDER BY p.run_id, p.seq
            """, arguments), columns: [.text, .text, .int, .int, .text, .text, .int, .int])
        for r in phaseRows {
            guard let i = index[r[0].text ?? ""] else { continue }
            runs[i].phases.append(PhaseRecord(name: r[1].text ?? "", startedAt: r[2].date ?? .distantPast,
                                              endedAt: r[3].date ?? .distantPast, outcome: r[4].text ?? "",
                                              detail: r[5].text, flashNAKs: Self.count(r[6].int),
                                              flashRetries: Self.count(r[7].int)))
        }
        let checkRows = try await database.fetch(SQLStatement(
            """
            SELECT c.run_id, c.name, c.passed, c.code, c.duration_ms, c.failure_class, c.detail FROM checks c
            JOIN runs ON runs.id = c.run_id \(filter.replacingOccurrences(of: "batch", with: "runs.batch")
                .replacingOccurrences(of: "started_at", with: "runs.started_at"))
            ORDER BY c.run_id, c.name
            """, arguments), columns: [.text, .text, .int, .int, .int, .text, .text])
        for r in checkRows {
            guard let i = index[r[0].text ?? ""] else { continue }
            runs[i].checks.append(CheckRecord(name: r[1].text ?? "", passed: r[2].int == 1,
                                              code: r[3].int.map { Int($0) }, durationMs: Int(r[4].int ?? 0),
                                              failureClass: r[5].text.map(FailureClass.init(rawValue:)), detail: r[6].text))
        }
        return runs
    }

    public func recordGate(runID: String, _ gate: GateResult) async throws {
        // Read, merge, write: one run's gates are written by its own slot only, one at a time.
        let rows = try await database.fetch(SQLStatement("SELECT gate_results FROM runs WHERE id = ?", [.text(runID)]),
                                            columns: [.text])
        var gates = try GateColumn.decode(rows.first?.first?.text, run: runID, store: label)
        gates.removeAll { $0.name == gate.name }
        gates.append(gate)
        try await database.transaction([SQLStatement("UPDATE runs SET gate_results = ? WHERE id = ?",
                                                     [.text(try GateColumn.encode(gates)), .text(runID)])])
    }

    public func recordBoardData(runID: String, _ ref: BoardDataRef) async throws {
        try await database.transaction([SQLStatement(
            "UPDATE runs SET board_data_source = ?, board_data_row = ? WHERE id = ?",
            [.text(ref.source), .text(ref.row), .text(runID)])])
    }

    public func recordRework(runID: String, of earlier: String) async throws {
        try await database.transaction([SQLStatement("UPDATE runs SET rework_of = ? WHERE id = ?",
                                                     [.text(earlier), .text(runID)])])
    }

    public func close() async {
        await database.close()
    }

    /// A stored count as an Int: a negative one (written by hand, or by a foreign tool) reads 0.
    static func count(_ value: Int64?) -> Int { Int(clamping: max(0, value ?? 0)) }
}

extension SQLValue {
    static func optionalText(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    /// Times are stored as epoch milliseconds.
    static func time(_ d: Date) -> SQLValue { .int(Int64((d.timeIntervalSince1970 * 1000).rounded())) }
    var date: Date? { int.map { Date(timeIntervalSince1970: Double($0) / 1000) } }
}
