import Foundation

/// Where a QA server's sessions are kept: in the actor's memory, or in a `QASessionStore` shared
/// with other servers and later runs. Every change to a session goes through `update`.
extension QAServerState {
    /// Latest keep-until time written to a store (9999-12-31), so a huge retention still converts
    /// to a date the store can hold.
    static let latestKeepUntilMs: Int64 = 253_402_300_799_000

    func add(_ ticket: QASessionTicket) async throws {
        try await sweep()
        let record = QASessionRecord(ticket: ticket)
        guard let store else {
            sessions[ticket.sessionID] = record
            return
        }
        guard try await store.insertSession(ticket.sessionID, state: try Self.encode(record),
                                            keepUntil: keepUntil(record)) else {
            throw QAServerError(reason: "session id \(ticket.sessionID) is already in the session store")
        }
    }

    func count() async throws -> Int {
        guard let store else { return sessions.count }
        return try await store.sessionCount()
    }

    /// Forgets sessions past their deadline by more than `retention`: no verdict on them can
    /// change any more, and a station that wanted them had its chance.
    private func sweep() async throws {
        let now = QASessionRecord.nowMs()
        guard let store else {
            sessions = sessions.filter { _, record in now <= record.keepUntilMs(retention: retention) }
            return
        }
        try await store.deleteSessions(keptUntilBefore: Self.date(now))
    }

    /// Removes a session and hands over what it recorded, with its age, in one step, so nothing
    /// arrives between the judging and the freeing unseen.
    func take(_ sid: String) async throws -> (evidence: QASessionEvidence, elapsedMs: Int)? {
        guard let store else {
            guard let record = sessions.removeValue(forKey: sid) else { return nil }
            return (record.evidence, record.ms())
        }
        while true {
            guard let stored = try await store.session(sid) else { return nil }
            let record = try Self.decode(stored, sid)
            // Deleted only as read: a request recorded meanwhile (by this or another server)
            // changes the version, and the handover is taken again with it.
            if try await store.deleteSession(sid, version: stored.version) { return (record.evidence, record.ms()) }
        }
    }

    func ticket(_ sid: String) async throws -> QASessionTicket? { try await record(sid)?.ticket }

    func evidence(_ sid: String) async throws -> QASessionEvidence? { try await record(sid)?.evidence }

    /// The evidence with the session's age, read together (one read of a store).
    func evidenceAndAge(_ sid: String) async throws -> (evidence: QASessionEvidence, elapsedMs: Int)? {
        try await record(sid).map { ($0.evidence, $0.ms()) }
    }

    func remove(_ sid: String) async throws {
        guard let store else {
            sessions[sid] = nil
            return
        }
        _ = try await store.deleteSession(sid, version: nil)
    }

    private func record(_ sid: String) async throws -> QASessionRecord? {
        guard let store else { return sessions[sid] }
        return try await store.session(sid).map { try Self.decode($0, sid) }
    }

    /// Applies `change` to the session's record and keeps the result; nil when there is no such
    /// session. With a store, a change that lost the race with another writer (this server's
    /// next request, or another server) is applied again to the newer record, so neither is lost.
    func update<T>(_ sid: String, _ change: (inout QASessionRecord) -> T) async throws -> T? {
        guard let store else {
            guard var record = sessions[sid] else { return nil }
            let result = change(&record)
            sessions[sid] = record
            return result
        }
        while true {
            guard let stored = try await store.session(sid) else { return nil }
            var record = try Self.decode(stored, sid)
            let result = change(&record)
            if try await store.replaceSession(sid, state: try Self.encode(record), keepUntil: keepUntil(record),
                                              version: stored.version) {
                return result
            }
        }
    }

    private func keepUntil(_ record: QASessionRecord) -> Date {
        Self.date(min(record.keepUntilMs(retention: retention), Self.latestKeepUntilMs))
    }

    private static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    private static func encode(_ record: QASessionRecord) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(record))
    }

    private static func decode(_ stored: QAStoredSession, _ sid: String) throws -> QASessionRecord {
        do {
            return try JSONDecoder().decode(QASessionRecord.self, from: Data(stored.state))
        } catch {
            throw QAServerError(reason: "session \(sid) in the session store is unreadable: \(error)")
        }
    }
}
