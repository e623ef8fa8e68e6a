import Foundation

/// The QA server's records: sessions, what each saw, and refused requests. An actor, so 50
/// boards' requests interleave without a lost or mixed-up record.
actor QAServerState {
    private var sessions: [String: QASessionRecord] = [:]
    private var unknown: [QARejection] = []
    private let started = ContinuousClock.now

    func add(_ ticket: QASessionTicket) {
        sessions[ticket.sessionID] = QASessionRecord(ticket: ticket, created: .now)
    }

    func ticket(_ sid: String) -> QASessionTicket? { sessions[sid]?.ticket }

    func evidence(_ sid: String) -> QASessionEvidence? { sessions[sid]?.evidence }

    func elapsedMs(_ sid: String) -> Int? { sessions[sid]?.ms() }

    var sessionIDs: [String] { Array(sessions.keys) }

    func remove(_ sid: String) { sessions[sid] = nil }

    /// Refusals that belong to no session (unknown session ids).
    var unknownRejections: [QARejection] { unknown }

    /// Interference observations kept per session. A stranger who knows the session id may send
    /// any number of requests; past this many they are only counted, so they cannot grow the
    /// server's memory (the board's own requests are a handful per check and always kept).
    static let interferenceKept = 64

    func observe(_ sid: String, _ make: @Sendable (Int) -> QAObservation) {
        guard var record = sessions[sid] else { return }
        let observation = make(record.ms())
        if observation.interference != nil {
            if record.interferenceCount >= Self.interferenceKept {
                record.interferenceNotKept = record.interferenceNotKept.addingReportingOverflow(1).overflow
                    ? .max : record.interferenceNotKept + 1
                sessions[sid] = record
                return
            }
            record.interferenceCount += 1
        }
        record.observations.append(observation)
        sessions[sid] = record
    }

    func reject(_ sid: String?, path: String, status: Int, reason: String) {
        if let sid, var record = sessions[sid] {
            record.rejections.append(QARejection(sessionID: sid, atMs: record.ms(), path: path, status: status, reason: reason))
            sessions[sid] = record
        } else {
            let d = ContinuousClock.now - started
            let ms = Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
            unknown.append(QARejection(sessionID: sid, atMs: ms, path: path, status: status, reason: reason))
        }
    }

    enum ReportResult { case accepted, rejected(status: Int, reason: String) }

    /// Accepts one signed report per session: a bad signature, a report naming another session,
    /// or a second report (replay) is refused and recorded.
    func acceptReport(_ sid: String, body: [UInt8], signature: String?, path: String) -> ReportResult {
        guard var record = sessions[sid] else {
            unknown.append(QARejection(sessionID: sid, atMs: 0, path: path, status: 404, reason: "unknown session"))
            return .rejected(status: 404, reason: "unknown session")
        }
        let result: ReportResult
        if let signature, record.reportSignature?.uppercased() == signature.uppercased() {
            result = .rejected(status: 409, reason: "replayed report (same signature as the accepted one)")
        } else if record.report != nil {
            result = .rejected(status: 409, reason: "a report was already accepted for this session")
        } else if signature == nil {
            result = .rejected(status: 401, reason: "report without X-QA-Signature")
        } else if !QASignature.verify(body, key: record.ticket.key, signature: signature!) {
            result = .rejected(status: 401, reason: "report signature does not match the session key (forged)")
        } else if let report = try? JSONDecoder().decode(QABoardReport.self, from: Data(body)) {
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
            record.rejections.append(QARejection(sessionID: sid, atMs: at, path: path, status: status, reason: reason))
        }
        sessions[sid] = record
        return result
    }
}
