import Foundation
import QA
import Records

/// A QA server's sessions kept in the results store (`provision qa-server --db`), so a restarted
/// server, or a second one on the same PostgreSQL, still has every session in flight. QA and
/// Records know nothing of each other; this joins them: each session is one shared state under
/// the `qa_session` scope, its id the key and the server's JSON the body.
public struct StoredQASessions: QASessionStore {
    /// The scope of QA sessions among the store's shared states.
    public static let scope = "qa_session"
    private let store: SQLResultsStore

    public init(store: SQLResultsStore) {
        self.store = store
    }

    public func session(_ sessionID: String) async throws -> QAStoredSession? {
        try await store.sharedState(scope: Self.scope, key: sessionID).map {
            QAStoredSession(state: Array($0.body.utf8), version: $0.version)
        }
    }

    public func insertSession(_ sessionID: String, state: [UInt8], keepUntil: Date) async throws -> Bool {
        try await store.insertSharedState(scope: Self.scope, key: sessionID, body: try Self.text(state, sessionID),
                                          keepUntil: keepUntil)
    }

    public func replaceSession(_ sessionID: String, state: [UInt8], keepUntil: Date, version: Int64) async throws -> Bool {
        try await store.replaceSharedState(scope: Self.scope, key: sessionID, body: try Self.text(state, sessionID),
                                           keepUntil: keepUntil, version: version)
    }

    public func deleteSession(_ sessionID: String, version: Int64?) async throws -> Bool {
        try await store.deleteSharedState(scope: Self.scope, key: sessionID, version: version)
    }

    public func deleteSessions(keptUntilBefore date: Date) async throws {
        try await store.deleteSharedStates(scope: Self.scope, keptUntilBefore: date)
    }

    public func sessionCount() async throws -> Int {
        try await store.sharedStateCount(scope: Self.scope)
    }

    /// The state as the store's text column holds it. The server writes JSON (UTF-8); anything
    /// else would be changed by the round trip, so it is refused rather than stored altered.
    private static func text(_ state: [UInt8], _ sessionID: String) throws -> String {
        guard let text = String(validating: state, as: UTF8.self), !text.utf8.contains(0) else {
            throw RecordsError(store: "qa session \(sessionID)", reason: "state is not UTF-8 text without NUL")
        }
        return text
    }
}
