import Foundation
@testable import Records
import Testing
import TestSupport

/// Schema v7: states kept for another component, written only over the version read.
@Suite struct SharedStateTests {
    static func sqliteURL() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return "sqlite:" + folder.appendingPathComponent("results.sqlite").path
    }

    /// Two stores on one database, as two processes have them.
    static func exerciseVersions(_ first: SQLResultsStore, _ second: SQLResultsStore) async throws {
        let later = Date().addingTimeInterval(3600)
        #expect(try await first.insertSharedState(scope: "s", key: "k", body: "one", keepUntil: later))
        #expect(try await !second.insertSharedState(scope: "s", key: "k", body: "other", keepUntil: later))
        #expect(try await second.sharedState(scope: "s", key: "k") == SharedState(body: "one", version: 1))
        // The same key in another scope is another state.
        #expect(try await second.insertSharedState(scope: "t", key: "k", body: "t-one", keepUntil: later))

        // Both read version 1; the first write wins, the second must re-read.
        #expect(try await first.replaceSharedState(scope: "s", key: "k", body: "two", keepUntil: later, version: 1))
        #expect(try await !second.replaceSharedState(scope: "s", key: "k", body: "lost", keepUntil: later, version: 1))
        #expect(try await second.sharedState(scope: "s", key: "k") == SharedState(body: "two", version: 2))
        #expect(try await second.replaceSharedState(scope: "s", key: "k", body: "three", keepUntil: later, version: 2))
        #expect(try await first.sharedState(scope: "s", key: "k") == SharedState(body: "three", version: 3))

        #expect(try await !first.deleteSharedState(scope: "s", key: "k", version: 2))
        #expect(try await first.deleteSharedState(scope: "s", key: "k", version: 3))
        #expect(try await first.sharedState(scope: "s", key: "k") == nil)
        #expect(try await !first.deleteSharedState(scope: "s", key: "k", version: nil))
        #expect(try await !first.replaceSharedState(scope: "s", key: "k", body: "gone", keepUntil: later, version: 3))
        #expect(try await second.sharedState(scope: "t", key: "k")?.body == "t-one")

        // Sweeping removes only what expired, only in its scope.
        let past = Date().addingTimeInterval(-60)
        #expect(try await first.insertSharedState(scope: "s", key: "old", body: "x", keepUntil: past))
        #expect(try await first.insertSharedState(scope: "s", key: "new", body: "y", keepUntil: later))
        #expect(try await first.insertSharedState(scope: "t", key: "old", body: "z", keepUntil: past))
        try await second.deleteSharedStates(scope: "s", keptUntilBefore: Date())
        #expect(try await first.sharedState(scope: "s", key: "old") == nil)
        #expect(try await first.sharedState(scope: "s", key: "new") != nil)
        #expect(try await first.sharedStateCount(scope: "s") == 1)
        #expect(try await first.sharedStateCount(scope: "t") == 2)
    }

    @Test("SQLite: a write applies only over the version it read; scopes are apart; sweeping")
    func sqlite() async throws {
        let url = try Self.sqliteURL()
        let first = try await StoreURL.open(url)
        let second = try await StoreURL.open(url)
        #expect(try await first.schemaVersion() == Schema.latestVersion)
        try await Self.exerciseVersions(first, second)
        await first.close()
        await second.close()
    }

    @Test("PostgreSQL: a write applies only over the version it read; scopes are apart; sweeping")
    func postgres() async throws {
        try await PostgresServer.withServerURL("SharedStateTests") { url in
            let first = try await StoreURL.open(url)
            let second = try await StoreURL.open(url)
            try await Self.exerciseVersions(first, second)
            await first.close()
            await second.close()
        }
    }
}
