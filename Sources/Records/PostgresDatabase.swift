import Foundation
import Logging
import PostgresNIO

/// PostgreSQL through postgres-nio, for several stations sharing one store.
public final class PostgresDatabase: SQLDatabase {
    public let label: String
    /// clock_timestamp(), not now(): the time of the call, not of the transaction's start.
    public var serverClockQuery: String? { "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT" }
    public var skipLockedClause: String { "FOR UPDATE SKIP LOCKED" }
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    /// How long to wait for the server before giving up (libpq's `connect_timeout`, in the URL).
    private let connectTimeout: Duration
    private static let logger = Logger(label: "provision.records.postgres")
    /// Key of the advisory lock that serialises migrations across stations.
    static let migrationLockKey: Int64 = 0x5052_4F56  // "PROV"

    /// Connects to `url` (`postgres://user:password@host:port/database`).
    public init(url: String) throws {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""),
              let host = parts.host, !host.isEmpty else {
            throw RecordsError(store: url, reason: "not a postgres://user:password@host:port/database URL",
                               isInputError: true)
        }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        label = "postgres://\(parts.user.map { "\($0)@" } ?? "")\(host):\(parts.port ?? 5432)/\(database)"
        let sslmode = parts.queryItems?.first { $0.name == "sslmode" }?.value
        var config = PostgresClient.Configuration(
            host: host, port: parts.port ?? 5432, username: parts.user ?? "postgres",
            password: parts.password, database: database.isEmpty ? nil : database,
            tls: sslmode == "require" ? .require(.makeClientConfiguration()) : .disable)
        let timeout = parts.queryItems?.first { $0.name == "connect_timeout" }?.value.flatMap(Int.init) ?? 10
        connectTimeout = .seconds(max(1, timeout))
        config.options.connectTimeout = .seconds(Int64(max(1, timeout)))
        client = PostgresClient(configuration: config)
        let client = self.client
        runner = Task { await client.run() }
    }

    private func query(_ statement: SQLStatement) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: statement.arguments.count)
        for value in statement.arguments {
            switch value {
            case .null: binds.appendNull()
            case .int(let v): binds.append(v)
            case .text(let s): binds.append(s)
            }
        }
        return PostgresQuery(unsafeSQL: statement.sql.numberingPlaceholders(), binds: binds)
    }

    private func wrap<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            throw RecordsError(store: label, reason: "\(what): \(message)")
        } catch {
            throw RecordsError(store: label, reason: "\(what): \(error)")
        }
    }

    public func transaction(_ statements: [SQLStatement]) async throws {
        let queries = try statements.map(query)
        try await wrap("write") {
            try await client.withTransaction(logger: Self.logger) { connection in
                for q in queries { try await connection.query(q, logger: Self.logger) }
            }
        }
    }

    public func fetch(_ statement: SQLStatement, columns: [SQLColumn]) async throws -> [[SQLValue]] {
        try await rows(statement, columns: columns, what: "read")
    }

    /// One statement outside an explicit transaction commits on its own, so its `RETURNING`
    /// rows are read as a query's.
    public func change(_ statement: SQLStatement, returning columns: [SQLColumn]) async throws -> [[SQLValue]] {
        try await rows(statement, columns: columns, what: "write")
    }

    private func rows(_ statement: SQLStatement, columns: [SQLColumn], what: String) async throws -> [[SQLValue]] {
        let q = try query(statement)
        return try await wrap(what) {
            var out: [[SQLValue]] = []
            for try await row in try await client.query(q, logger: Self.logger) {
                let cells = row.makeRandomAccess()
                out.append(try columns.indices.map { i in
                    switch columns[i] {
                    case .int: return try cells[i].decode(Int64?.self).map(SQLValue.int) ?? .null
                    case .text: return try cells[i].decode(String?.self).map(SQLValue.text) ?? .null
                    }
                })
            }
            return out
        }
    }

    public func migrate(_ migrations: [Migration]) async throws {
        // The first contact: the pool retries a dead server forever, so bound the wait here.
        try await withDeadline(connectTimeout, what: "cannot reach the server") {
            try await self.runMigrations(migrations)
        }
    }

    private func runMigrations(_ migrations: [Migration]) async throws {
        try await wrap("migration") {
            try await client.withTransaction(logger: Self.logger) { connection in
                // Held to the end of the transaction: other stations wait, then see the new version.
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))",
                                           logger: Self.logger)
                try await connection.query(PostgresQuery(unsafeSQL: Schema.versionTable), logger: Self.logger)
                var applied: Int64 = 0
                for try await v in try await connection.query(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: Self.logger
                ).decode(Int64.self) {
                    applied = v
                }
                for m in migrations.sorted(by: { $0.version < $1.version }) where m.version > applied {
                    for sql in m.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
                    }
                    let now = Int64(Date().timeIntervalSince1970 * 1000)
                    try await connection.query(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (\(Int64(m.version)), \(now))",
                        logger: Self.logger)
                }
            }
        }
    }

    public func close() async {
        runner.cancel()
        _ = await runner.value
    }
}

extension PostgresDatabase {
    /// Runs `body`, or throws a `RecordsError` when it has not finished within `limit`.
    func withDeadline<T: Sendable>(_ limit: Duration, what: String,
                                   _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let label = self.label
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw RecordsError(store: label, reason: "\(what) within \(limit.components.seconds) s")
            }
            return value
        }
    }
}
