import Foundation

/// One state kept in the store for another component (schema v7, `shared_states`): a text
/// document under a scope and a key. Records does not read the body; the version lets several
/// writers of one key (two servers behind a load balancer) change it without losing each other's
/// change: every write names the version it replaces and applies only if that is still the one
/// stored.
public struct SharedState: Sendable, Equatable {
    public let body: String
    public let version: Int64

    public init(body: String, version: Int64) {
        self.body = body
        self.version = version
    }
}

extension SQLResultsStore {
    /// The state under `scope` and `key`, if any (kept until it is deleted or swept).
    public func sharedState(scope: String, key: String) async throws -> SharedState? {
        let rows = try await database.fetch(SQLStatement(
            "SELECT body, version FROM shared_states WHERE scope = ? AND state_key = ?", [.text(scope), .text(key)]),
            columns: [.text, .int])
        guard let row = rows.first, let body = row[0].text, let version = row[1].int else { return nil }
        return SharedState(body: body, version: version)
    }

    /// Stores a new state at version 1; false (nothing written) when the key already holds one.
    public func insertSharedState(scope: String, key: String, body: String, keepUntil: Date) async throws -> Bool {
        let rows = try await database.change(SQLStatement(
            """
            INSERT INTO shared_states (scope, state_key, version, body, keep_until) VALUES (?, ?, 1, ?, ?)
            ON CONFLICT (scope, state_key) DO NOTHING RETURNING version
            """,
            [.text(scope), .text(key), .text(body), .time(keepUntil)]), returning: [.int])
        return !rows.isEmpty
    }

    /// Replaces the state if it is still at `version` (its version goes up by one); false when
    /// another writer changed or deleted it since it was read.
    public func replaceSharedState(scope: String, key: String, body: String, keepUntil: Date,
                                   version: Int64) async throws -> Bool {
        guard version < Int64.max else {
            throw RecordsError(store: label, reason: "shared state \(scope)/\(key) is at the last version")
        }
        let rows = try await database.change(SQLStatement(
            """
            UPDATE shared_states SET body = ?, keep_until = ?, version = ?
            WHERE scope = ? AND state_key = ? AND version = ? RETURNING version
            """,
            [.text(body), .time(keepUntil), .int(version + 1), .text(scope), .text(key), .int(version)]),
            returning: [.int])
        return !rows.isEmpty
    }

    /// Deletes the state — only while it is at `version` when one is given; false when there was
    /// nothing (left) to delete.
    public func deleteSharedState(scope: String, key: String, version: Int64?) async throws -> Bool {
        let statement = version.map {
            SQLStatement("DELETE FROM shared_states WHERE scope = ? AND state_key = ? AND version = ? RETURNING version",
                         [.text(scope), .text(key), .int($0)])
        } ?? SQLStatement("DELETE FROM shared_states WHERE scope = ? AND state_key = ? RETURNING version",
                          [.text(scope), .text(key)])
        return try await !database.change(statement, returning: [.int]).isEmpty
    }

    /// Deletes the states of `scope` whose keep-until time is before `date`.
    public func deleteSharedStates(scope: String, keptUntilBefore date: Date) async throws {
        try await database.transaction([SQLStatement(
            "DELETE FROM shared_states WHERE scope = ? AND keep_until < ?", [.text(scope), .time(date)])])
    }

    /// How many states `scope` holds.
    public func sharedStateCount(scope: String) async throws -> Int {
        let rows = try await database.fetch(SQLStatement(
            "SELECT COUNT(*) FROM shared_states WHERE scope = ?", [.text(scope)]), columns: [.int])
        return Self.count(rows.first?.first?.int)
    }
}
