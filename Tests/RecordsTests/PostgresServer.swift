import Foundation
@testable import Records
import Testing
import TestSupport

extension PostgresServer {
    /// Runs `body` on a results store in a fresh PostgreSQL server, or says why it is skipped
    /// (the server binaries are missing; CI must have them).
    static func withStore(_ suite: String, _ body: (SQLResultsStore) async throws -> Void) async throws {
        try await withServerURL(suite) { url in
            let store = try await StoreURL.open(url)
            try await body(store)
            await store.close()
        }
    }

    /// Runs `body` with the URL of a fresh PostgreSQL server (to open several stores on one
    /// database, as several processes would), or says why it is skipped.
    static func withServerURL(_ suite: String, _ body: (String) async throws -> Void) async throws {
        guard PostgresStoreTests.available else {
            #expect(!PostgresStoreTests.requiredInCI, "CI must install PostgreSQL (apt-get install postgresql)")
            print("\(suite) (PostgreSQL) skipped: PostgreSQL server binaries are not installed")
            return
        }
        let server = try PostgresServer()
        defer { server.stop() }
        try await body(server.url)
    }
}
