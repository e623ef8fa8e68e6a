import Foundation
import GRDB

/// SQLite through GRDB: one file, WAL journal, each transaction durable before it returns.
public final class SQLiteDatabase: SQLDatabase {
    public let label: String
    private let pool: DatabasePool

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String) throws {
        label = "sqlite:\(path)"
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // FULL: a committed decision survives a power cut, not only a process crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw RecordsError(store: label, reason: "cannot open: \(error)")
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
        } catch let error as RecordsError {
            throw error
        } catch {
            throw RecordsError(store: label, reason: "\(error)")
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

    public func close() async {
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
