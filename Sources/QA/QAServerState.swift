import Foundation

/// The QA server's records: sessions, what each saw, and refused requests. An actor, so 50
/// boards' requests interleave without a lost or mixed-up record. This file decides what is
/// recorded; where sessions are kept (memory or a `QASessionStore`) is QAServerState+Sessions.swift.
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

    /// The sessions, when no store keeps them (QAServerState+Sessions.swift reads and writes
    /// both; everything else goes through its `update`).
    var sessions: [String: QASessionRecord] = [:]
    /// Where the sessions are kept instead, for a shared or restartable server.
    let store: (any QASessionStore)?
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

    init(retention: Duration, store: (any QASessionStore)? = nil) {
        self.retention = retention
        self.store = store
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

    static func keep(_ rejection: QARejection, in record: inout QASessionRecord) {
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
            if let signature, record.signedReport?.signature.uppercased() == signature.uppercased() {
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
                    record.signedReport = QASignedReport(body: body, signature: signature!, key: record.ticket.key)
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

