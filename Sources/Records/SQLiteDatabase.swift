import Foundation
import GRDB

/// SQLite through GRDB: one file, WAL journal, each transaction durable before it returns.
public final class SQLiteDatabase: SQLDatabase {
    public let label: String
    public var serverClockQuery: String? { nil }
    /// One writer at a time: the claim's statement already sees every committed claim.
    public var skipLockedClause: String { "" }
    /// A pool (WAL) for a store that is written; a read-only queue for one that is only read,
    /// because opening a pool switches the file to WAL mode, which is a write.
    private let pool: any DatabaseWriter
    private let readOnly: Bool

    /// Opens (creating if needed) the database file at `path`; with `readOnly`, opens an existing
    /// file without writing a byte of it (no journal-mode change, no schema).
    public init(path: String, readOnly: Bool = false) throws {
        label = "sqlite:\(path)"
        self.readOnly = readOnly
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.readonly = readOnly
        config.prepareDatabase { db in
            // FULL: a committed decision survives a power cut, not only a process crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = readOnly ? try DatabaseQueue(path: path, configuration: config)
                            : try DatabasePool(path: path, configuration: config)
        } catch {
            throw Self.openError(error, label: label)
        }
    }

    private init(label: String, writer: any DatabaseWriter) {
        self.label = label
        self.readOnly = false
        self.pool = writer
    }

    /// A private in-memory copy of the store at `path`, taken without writing a byte of the file:
    /// a reader upgrades the copy when the file's schema is older, and the file stays as it is.
    public static func inMemoryCopy(of path: String) throws -> SQLiteDatabase {
        let label = "sqlite:\(path)"
        var config = Configuration()
        config.readonly = true
        do {
            let source = try DatabaseQueue(path: path, configuration: config)
            let copy = try DatabaseQueue()
            try source.backup(to: copy)
            try source.close()
            return SQLiteDatabase(label: label, writer: copy)
        } catch {
            throw openError(error, label: label)
        }
    }

    /// A file that is not SQLite was named by the user (bad input); any other failure to open
    /// is the machine's (permissions, disk).
    private static func openError(_ error: Error, label: String) -> RecordsError {
        if let e = error as? DatabaseError, e.resultCode == .SQLITE_NOTADB {
            return RecordsError(store: label, reason: "not a SQLite database", isInputError: true)
        }
        return RecordsError(store: label, reason: "cannot open: \(error)")
    }

    /// Whether the file holds the provision schema (its migrations table), so a foreign SQLite
    /// database is told apart from a results store before anything reads it as one.
    public func hasProvisionSchema() async throws -> Bool {
        do {
            return try await pool.read { db in try db.tableExists("schema_migrations") }
        } catch {
            throw Self.openError(error, label: label)
        }
    }

    public func transaction(_ statements: [SQLStatement]) async throws {
        do {
            try await pool.write { db in
                for s in statements {
                    try db.execute(sql: s.sql, arguments: StatementArguments(s.arguments.map(\.databaseValue)))
                }
            }
        } catch {
            throw RecordsError(store: label, reason: "\(error)")
        }
    }

    public func fetch(_ statement: SQLStatement, columns: [SQLColumn]) async throws -> [[SQLValue]] {
        do {
            return try await pool.read { [label] db in
                try Self.rows(db, statement, columns: columns, label: label)
            }
        } catch let error as RecordsError {
            throw error
        } catch {
            throw RecordsError(store: label, reason: "\(error)")
        }
    }

    public func change(_ statement: SQLStatement, returning columns: [SQLColumn]) async throws -> [[SQLValue]] {
        do {
            return try await pool.write { [label] db in
                try Self.rows(db, statement, columns: columns, label: label)
            }
        } catch let error as RecordsError {
            throw error
        } catch {
            throw RecordsError(store: label, reason: "\(error)")
        }
    }

    /// Runs `statement` and decodes its rows.
    private static func rows(_ db: Database, _ statement: SQLStatement, columns: [SQLColumn],
                             label: String) throws -> [[SQLValue]] {
        let rows = try Row.fetchAll(db, sql: statement.sql,
                                    arguments: StatementArguments(statement.arguments.map(\.databaseValue)))
        let names = rows.first.map { Array($0.columnNames) } ?? []
        return try rows.map { row in
            try columns.indices.map { i -> SQLValue in
                let value: DatabaseValue = row[i]
                // SQLite stores whatever a hand edit or a foreign tool put in a column. An
                // integer column takes a REAL only when it is a whole Int64; anything else is
                // refused naming the column, never truncated or trapped on.
                func notAnInteger(_ shown: String) -> RecordsError {
                    RecordsError(store: label, reason: "column \(i < names.count ? names[i] : "#\(i + 1)") holds "
                                 + "\(shown), not a whole number", isInputError: true)
                }
                switch value.storage {
                case .null: return .null
                case .int64(let v): return .int(v)
                case .string(let s):
                    guard columns[i] == .text else { throw notAnInteger("the text \"\(s.prefix(40))\"") }
                    return .text(s)
                case .double(let d):
                    guard columns[i] == .int else { return .text(String(d)) }
                    guard let v = Int64(exactly: d) else { throw notAnInteger("the REAL \(d)") }
                    return .int(v)
                case .blob(let b):
                    guard columns[i] == .text else { throw notAnInteger("a \(b.count)-byte BLOB") }
                    return .text(String(decoding: b, as: UTF8.self))
                }
            }
        }
    }

    public func migrate(_ migrations: [Migration]) async throws {
        do {
            // One IMMEDIATE write transaction: a second process waits, then sees the new version.
            try await pool.write { db in
                try db.execute(sql: Schema.versionTable)
                let applied = try Int64.fetchOne(db, sql: "SELECT MAX(version) FROM schema_migrations") ?? 0
                for m in migrations.sorted(by: { $0.version < $1.version }) where m.version > applied {
                    for sql in m.statements { try db.execute(sql: sql) }
                    try db.execute(sql: "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                                   arguments: [m.version, Int64(Date().timeIntervalSince1970 * 1000)])
                }
            }
        } catch {
            throw RecordsError(store: label, reason: "migration failed: \(error)")
        }
    }

    /// Checkpoints the WAL into the main file (TRUNCATE), then closes. SQLite checkpoints on
    /// close only when the last connection to go can write; GRDB closes the pool's writer
    /// before its read-only readers, so once a read has run, without this the records stay in
    /// `-wal` and a copy of the `.sqlite` file alone holds none of them. A failed checkpoint
    /// loses nothing: the WAL keeps the records and the next open replays it.
    public func close() async {
        if !readOnly {
            _ = try? await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        }
        try? pool.close()
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .int(let v): return v.databaseValue
        case .text(let s): return s.databaseValue
        }
    }
}
