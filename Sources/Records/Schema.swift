/// The results-store schema, one list of versioned migrations for SQLite and PostgreSQL alike.
/// Times are epoch milliseconds (BIGINT); flags are 0/1 integers. Never edit a released
/// migration: add a new version.
enum Schema {
    static let migrations: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE batches (
                name TEXT PRIMARY KEY,
                operator_id TEXT,
                work_order TEXT,
                profile TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE boards (
                imei TEXT PRIMARY KEY,
                iccid TEXT,
                first_seen BIGINT NOT NULL,
                last_seen BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                batch TEXT NOT NULL REFERENCES batches(name),
                station_id TEXT NOT NULL,
                slot_path TEXT NOT NULL,
                slot_label TEXT NOT NULL,
                imei TEXT,
                iccid TEXT,
                firmware_sha256 TEXT,
                script_sha256 TEXT,
                started_at BIGINT NOT NULL,
                finished_at BIGINT,
                status TEXT NOT NULL,
                failure_class TEXT,
                failure_phase TEXT,
                detail TEXT
            )
            """,
            "CREATE INDEX runs_by_batch ON runs (batch, started_at)",
            "CREATE INDEX runs_by_station_status ON runs (station_id, status)",
            """
            CREATE TABLE phases (
                run_id TEXT NOT NULL REFERENCES runs(id),
                seq BIGINT NOT NULL,
                name TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                ended_at BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                detail TEXT,
                PRIMARY KEY (run_id, seq)
            )
            """,
            """
            CREATE TABLE checks (
                run_id TEXT NOT NULL REFERENCES runs(id),
                name TEXT NOT NULL,
                passed BIGINT NOT NULL,
                code BIGINT,
                duration_ms BIGINT NOT NULL,
                failure_class TEXT,
                detail TEXT,
                PRIMARY KEY (run_id, name)
            )
            """,
            """
            CREATE TABLE events (
                run_id TEXT,
                at BIGINT NOT NULL,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL
            )
            """,
            "CREATE INDEX events_by_run ON events (run_id, at)",
        ]),
        // v2: events of one run keep their order even within one millisecond.
        Migration(version: 2, statements: [
            "ALTER TABLE events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0",
        ]),
        // v3: what each run's flashes went through (a recovered NAK used to leave no trace).
        // Runs recorded before read 0, which is what the store knew of them.
        Migration(version: 3, statements: [
            "ALTER TABLE runs ADD COLUMN flash_naks BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE runs ADD COLUMN flash_retries BIGINT NOT NULL DEFAULT 0",
        ]),
        // v4: the webhook outbox. A run whose final record is meant for the webhook gets a row in
        // the same commit as its verdict; the row goes once the collector answered 2xx, so a hung
        // or failing collector, or a station stopped mid-delivery, loses no record: the next start
        // of the same station id posts what is left.
        Migration(version: 4, statements: [
            """
            CREATE TABLE webhook_outbox (
                run_id TEXT PRIMARY KEY REFERENCES runs(id),
                station_id TEXT NOT NULL,
                queued_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX webhook_outbox_by_station ON webhook_outbox (station_id, queued_at)",
        ]),
        // v5: one lease per station id. A running station renews its heartbeat; a second start
        // with the same id is refused while the lease is live, and takes it over once it is stale
        // (the holder crashed) — only then are the old holder's undecided runs its to mark.
        Migration(version: 5, statements: [
            """
            CREATE TABLE station_leases (
                station_id TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                host TEXT NOT NULL,
                pid BIGINT NOT NULL,
                acquired_at BIGINT NOT NULL,
                heartbeat_at BIGINT NOT NULL
            )
            """,
        ]),
        // v6: keep what was decided. The QA verdict as the station received it: the session, the
        // board's report as it signed it (base64 of the exact bytes), its signature and the
        // single-use session key that checks it, per-check codes (JSON) and the signal (CSQ); and
        // each flash attempt's NAKs and retries on its phase row, so a full flash and a script
        // flash are told apart. Older rows read NULL (no verdict) and 0.
        Migration(version: 6, statements: [
            "ALTER TABLE runs ADD COLUMN qa_session_id TEXT",
            "ALTER TABLE runs ADD COLUMN qa_report TEXT",
            "ALTER TABLE runs ADD COLUMN qa_signature TEXT",
            "ALTER TABLE runs ADD COLUMN qa_key TEXT",
            "ALTER TABLE runs ADD COLUMN qa_check_codes TEXT",
            "ALTER TABLE runs ADD COLUMN csq BIGINT",
            "ALTER TABLE phases ADD COLUMN flash_naks BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE phases ADD COLUMN flash_retries BIGINT NOT NULL DEFAULT 0",
        ]),
        // v7: states kept for another component under a scope and a key (a shared QA server's
        // sessions), each a text document with a version, so two writers of one key never lose
        // each other's change (a write names the version it replaces), and a keep-until time so
        // abandoned ones can be swept.
        Migration(version: 7, statements: [
            """
            CREATE TABLE shared_states (
                scope TEXT NOT NULL,
                state_key TEXT NOT NULL,
                version BIGINT NOT NULL,
                body TEXT NOT NULL,
                keep_until BIGINT NOT NULL,
                PRIMARY KEY (scope, state_key)
            )
            """,
            "CREATE INDEX shared_states_by_expiry ON shared_states (scope, keep_until)",
        ]),
        // v8: per-board data. `pool_rows` holds rows handed out one per board (device keys, client
        // ids): available, then claimed by one station's run, then kept by the board that passed
        // with it (or available again when it failed or was interrupted). The `(pool, row_id)` key
        // keeps a re-import from doubling rows. A run names the row it was given (never its
        // values), the identity gates' results (JSON: gate -> passed + detail), and the earlier
        // passed run of the same IMEI it reworks.
        Migration(version: 8, statements: [
            """
            CREATE TABLE pool_rows (
                pool TEXT NOT NULL,
                row_id TEXT NOT NULL,
                seq BIGINT NOT NULL,
                row_values TEXT NOT NULL,
                state TEXT NOT NULL,
                claimed_station TEXT,
                claimed_run TEXT,
                claimed_at BIGINT,
                kept_at BIGINT,
                imported_at BIGINT NOT NULL,
                PRIMARY KEY (pool, row_id)
            )
            """,
            "CREATE INDEX pool_rows_by_state ON pool_rows (pool, state, seq)",
            "CREATE INDEX pool_rows_by_run ON pool_rows (claimed_run)",
            "CREATE INDEX pool_rows_by_station ON pool_rows (claimed_station, state)",
            "ALTER TABLE runs ADD COLUMN board_data_source TEXT",
            "ALTER TABLE runs ADD COLUMN board_data_row TEXT",
            "ALTER TABLE runs ADD COLUMN gate_results TEXT",
            "ALTER TABLE runs ADD COLUMN rework_of TEXT",
            "CREATE INDEX runs_by_imei_status ON runs (imei, status, finished_at)",
        ]),
        // v9: each station's slots as its console shows them (a JSON document per slot), so a line
        // view reads every station's live tiles from the shared store. Written by the station at
        // most every 500 ms per slot; the newest write wins.
        Migration(version: 9, statements: [
            """
            CREATE TABLE slot_states (
                station_id TEXT NOT NULL,
                slot TEXT NOT NULL,
                state TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (station_id, slot)
            )
            """,
        ]),
    ]

    /// The newest schema version.
    static var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// Holds the applied versions; created by the backends before anything else.
    static let versionTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)
        """
}
