import Foundation

/// The QA server's records: sessions, what each saw, and refused requests. An actor, so 50
/// boards' requests interleave without a lost or mixed-up record.
actor QAServerState {
    /// Length of the session ids the server issues (`QAServer.sessionIDBytes` as hex). A longer
    /// one cannot name a session: it is refused before any lookup and shown cut to this length.
    static let sessionIDLength = QAServer.sessionIDBytes * 2
    /// Refusals for unknown sessions kept (the latest ones); the rest are only counted. Anyone
    /// can send such requests, so keeping each one would let them grow the server's memory.
    static let unknownKept = 32
    /// Longest request path kept in a refusal (the path carries whatever id the client made up).
    static let pathShown = 80
    /// Refusals kept per known session; past this many they are counted
    /// (`QASessionEvidence.rejectionsNotKept`), as interference is.
    static let rejectionsKept = 64

    /// The sessions, when no store keeps them.
    private var sessions: [String: QASessionRecord] = [:]
    /// Where the sessions are kept instead, for a shared or restartable server.
    private let store: (any QASessionStore)?
    /// The latest `unknownKept` unknown-session refusals, a ring: `unknownNext` is the slot
    /// written next, which once the ring is full holds the oldest.
    private var unknownRing: [QARejection] = []
    private var unknownNext = 0
    /// Every unknown-session refusal since the server started.
    private(set) var unknownCount = 0
    private let started = ContinuousClock.now
    /// How long a session is kept past its deadline when no station closed it (a station that
    /// crashed, or a remote one that never took its evidence over).
    let retention: Duration
    /// Latest keep-until time written to a store (9999-12-31), so a huge retention still converts
    /// to a date the store can hold.
    static let latestKeepUntilMs: Int64 = 253_402_300_799_000

    init(retention: Duration, store: (any QASessionStore)? = nil) {
        self.retention = retention
        self.store = store
    }

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
    private func update<T>(_ sid: String, _ change: (inout QASessionRecord) -> T) async throws -> T? {
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

    /// The latest refusals that belong to no session (unknown session ids), oldest first.
    var unknownRejections: [QARejection] { Array(unknownRing[unknownNext...] + unknownRing[..<unknownNext]) }

    /// A client-made session id as shown in a refusal: cut to the length of a real one.
    static func shown(_ sid: String) -> String {
        sid.count <= sessionIDLength ? sid : String(sid.prefix(sessionIDLength)) + "…"
    }

    private func refuseUnknown(_ sid: String?, path: String, status: Int, reason: String) {
        if unknownCount < .max { unknownCount += 1 }
        let d = ContinuousClock.now - started
        let (ms, overflow) = d.components.seconds.multipliedReportingOverflow(by: 1000)
        let shownPath = path.count <= Self.pathShown ? path : String(path.prefix(Self.pathShown - 1)) + "…"
        let rejection = QARejection(sessionID: sid.map(Self.shown),
                                    atMs: overflow ? .max : Int(ms) + Int(d.components.attoseconds / 1_000_000_000_000_000),
                                    path: shownPath, status: status, reason: reason)
        if unknownRing.count < Self.unknownKept { unknownRing.append(rejection) } else { unknownRing[unknownNext] = rejection }
        unknownNext = (unknownNext + 1) % Self.unknownKept
    }

    private static func keep(_ rejection: QARejection, in record: inout QASessionRecord) {
        if record.rejections.count < rejectionsKept {
            record.rejections.append(rejection)
        } else if record.rejectionsNotKept < .max {
            record.rejectionsNotKept += 1
        }
    }

    /// Interference observations kept per session. A stranger who knows the session id may send
    /// any number of requests; past this many they are only counted, so they cannot grow the
    /// server's memory (the board's own requests are a handful per check and always kept).
    static let interferenceKept = 64

    func observe(_ sid: String, _ make: @Sendable (Int) -> QAObservation) async throws {
        _ = try await update(sid) { record in
            let observation = make(record.ms())
            if observation.interference != nil {
                if record.interferenceCount >= Self.interferenceKept {
                    record.interferenceNotKept = record.interferenceNotKept.addingReportingOverflow(1).overflow
                        ? .max : record.interferenceNotKept + 1
                    return
                }
                record.interferenceCount += 1
            }
            record.observations.append(observation)
        }
    }

    func reject(_ sid: String?, path: String, status: Int, reason: String) async throws {
        if let sid, try await update(sid, { record in
            Self.keep(QARejection(sessionID: sid, atMs: record.ms(), path: path, status: status, reason: reason), in: &record)
        }) != nil {
            return
        }
        refuseUnknown(sid, path: path, status: status, reason: reason)
    }

    enum ReportResult { case accepted, rejected(status: Int, reason: String) }

    /// Accepts one signed report per session: a bad signature, a report naming another session,
    /// or a second report (replay) is refused and recorded.
    func acceptReport(_ sid: String, body: [UInt8], signature: String?, path: String) async throws -> ReportResult {
        let decoded = try? JSONDecoder().decode(QABoardReport.self, from: Data(body))
        let outcome = try await update(sid) { (record: inout QASessionRecord) -> ReportResult in
            let result: ReportResult
            if let signature, record.reportSignature?.uppercased() == signature.uppercased() {
                result = .rejected(status: 409, reason: "replayed report (same signature as the accepted one)")
            } else if record.report != nil {
                result = .rejected(status: 409, reason: "a report was already accepted for this session")
            } else if signature == nil {
                result = .rejected(status: 401, reason: "report without X-QA-Signature")
            } else if !QASignature.verify(body, key: record.ticket.key, signature: signature!) {
                result = .rejected(status: 401, reason: "report signature does not match the session key (forged)")
            } else if let report = decoded {
                if report.sid != sid {
                    result = .rejected(status: 401, reason: "report names session \(report.sid)")
                } else {
                    record.report = report
                    record.reportAtMs = record.ms()
                    record.reportSignature = signature
                    result = .accepted
                }
            } else {
                result = .rejected(status: 400, reason: "report is not the expected JSON")
            }
            let at = record.ms()
            let hash = QAContent.sha256(body)
            switch result {
            case .accepted:
                record.observations.append(QAObservation(check: "report", atMs: at, method: "POST", path: path, status: 200,
                                                         receivedBytes: body.count, receivedSHA256: hash, servedSHA256: nil,
                                                         matched: true, note: "signed report accepted"))
            case .rejected(let status, let reason):
                Self.keep(QARejection(sessionID: sid, atMs: at, path: path, status: status, reason: reason), in: &record)
            }
            return result
        }
        guard let outcome else {
            refuseUnknown(sid, path: path, status: 404, reason: "unknown session")
            return .rejected(status: 404, reason: "unknown session")
        }
        return outcome
    }
}

