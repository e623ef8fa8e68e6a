/// A value bound to or read from SQL. The schema uses only these two column kinds (integers
/// for times in epoch milliseconds, counts and flags; text for everything else), so the same
/// statements run on SQLite and PostgreSQL.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case text(String)

    var int: Int64? { if case .int(let v) = self { return v } else { return nil } }
    var text: String? { if case .text(let v) = self { return v } else { return nil } }
}

/// What a column holds, so a backend can decode it.
public enum SQLColumn: Sendable {
    case int, text
}

/// One statement with its arguments. SQL uses `?` placeholders; backends that number their
/// parameters (PostgreSQL `$1`) rewrite them.
public struct SQLStatement: Sendable {
    public let sql: String
    public let arguments: [SQLValue]

    public init(_ sql: String, _ arguments: [SQLValue] = []) {
        self.sql = sql
        self.arguments = arguments
    }
}

/// The little a results store needs from a database: statements in one transaction, and rows.
public protocol SQLDatabase: Sendable {
    /// A name for messages (the file path, or the server without the password).
    var label: String { get }
    /// A query giving the database server's clock in milliseconds since 1970, for a store
    /// several hosts share; nil when the store is on this machine (its clock is the host's).
    var serverClockQuery: String? { get }
    /// What a `SELECT … LIMIT 1` subquery appends so that concurrent writers each lock a
    /// different row instead of queueing on the same one (PostgreSQL `FOR UPDATE SKIP LOCKED`);
    /// empty where a write transaction already excludes every other writer (SQLite).
    var skipLockedClause: String { get }
    /// Runs `statements` in one transaction: all are committed, or none.
    func transaction(_ statements: [SQLStatement]) async throws
    /// Runs a query and decodes each row's columns as `columns` says.
    func fetch(_ statement: SQLStatement, columns: [SQLColumn]) async throws -> [[SQLValue]]
    /// Runs one statement that writes (committed on its own) and returns the rows of its
    /// `RETURNING` clause, decoded as `columns` says: a conditional write learns from them
    /// whether it applied, which `transaction` cannot tell.
    func change(_ statement: SQLStatement, returning columns: [SQLColumn]) async throws -> [[SQLValue]]
    /// Runs the schema migrations whose version is above the current one, under a lock that keeps
    /// two stations from migrating at once.
    func migrate(_ migrations: [Migration]) async throws
    func close() async
}

/// One versioned schema change.
public struct Migration: Sendable {
    public let version: Int
    public let statements: [String]
}

extension String {
    /// `?` placeholders → `$1, $2, …` (PostgreSQL). The schema's SQL has no `?` in literals.
    func numberingPlaceholders() -> String {
        var out = ""
        var n = 0
        for ch in self {
            if ch == "?" { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        return out
    }
}
