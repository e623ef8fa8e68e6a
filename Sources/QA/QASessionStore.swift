import Foundation

/// One session's state as a store keeps it: the server's JSON of it, and the version a change
/// must name to replace it.
public struct QAStoredSession: Sendable, Equatable {
    public let state: [UInt8]
    public let version: Int64

    public init(state: [UInt8], version: Int64) {
        self.state = state
        self.version = version
    }
}

/// Where a QA server keeps its sessions when they must outlive the process or be shared by
/// several servers (`provision qa-server --db`): without one they live in the server's memory.
///
/// The store sees opaque bytes. Writes are conditional on the version read, so two servers
/// changing one session at the same moment (a board's requests spread by a load balancer)
/// never lose either change: the one that lost re-reads and applies its change again.
public protocol QASessionStore: Sendable {
    /// The session's state, or nil when no session has this id.
    func session(_ sessionID: String) async throws -> QAStoredSession?
    /// Stores a new session; false when the id is taken.
    func insertSession(_ sessionID: String, state: [UInt8], keepUntil: Date) async throws -> Bool
    /// Replaces the state if it is still at `version`; false when another writer came first.
    func replaceSession(_ sessionID: String, state: [UInt8], keepUntil: Date, version: Int64) async throws -> Bool
    /// Deletes the session (only while it is at `version`, when given); false when it was not
    /// there (or had changed).
    func deleteSession(_ sessionID: String, version: Int64?) async throws -> Bool
    /// Deletes sessions whose keep-until time is before `date` (nobody closed them in time).
    func deleteSessions(keptUntilBefore date: Date) async throws
    /// How many sessions are kept.
    func sessionCount() async throws -> Int
}
