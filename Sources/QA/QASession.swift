import Crypto
import Foundation
import Vocabulary

/// A board's QA session as handed to the flasher: where the board talks to, and the secrets that
/// go into its QA image.
public struct QASessionTicket: Sendable, Equatable, Codable {
    public let sessionID: String
    public let boardID: String
    /// `<public URL>/qa/<session id>`; the board appends `/get`, `/report`, ….
    public let sessionURL: String
    /// Same path on the https listener, when the server has one.
    public let httpsSessionURL: String?
    public let nonce: String
    /// The per-board HMAC key (ASCII hex; the board uses the text bytes as the key).
    public let key: String
    public let plan: QAPlan

    /// The same session reached through another base URL (a tunnel, or a fault injected in tests).
    public func withSessionURL(_ url: String) -> QASessionTicket {
        QASessionTicket(sessionID: sessionID, boardID: boardID, sessionURL: url, httpsSessionURL: httpsSessionURL,
                        nonce: nonce, key: key, plan: plan)
    }
}

/// Server-side state of one session (owned by `QAServerState`). Codable: a shared server keeps
/// it in a store (`QASessionStore`) as JSON.
struct QASessionRecord: Codable {
    let ticket: QASessionTicket
    /// When the session was opened, wall-clock epoch milliseconds: the one clock a restarted
    /// server, or another server on the same store, shares with the one that opened it.
    let createdAtMs: Int64
    var observations: [QAObservation] = []
    /// Interference observations kept so far, and those counted past the cap.
    var interferenceCount = 0
    var interferenceNotKept = 0
    var rejectionsNotKept = 0
    var rejections: [QARejection] = []
    var report: QABoardReport?
    var reportAtMs: Int?
    /// The accepted report's bytes, signature and key, handed on in the evidence and the verdict.
    var signedReport: QASignedReport?

    var expected: [String: String] {
        let n = ticket.nonce, p = ticket.plan
        return [
            QACheck.get.rawValue: QAContent.sha256(QAContent.bytes(nonce: n, label: QAContent.getLabel, count: p.getBytes)),
            QACheck.https.rawValue: QAContent.sha256(QAContent.bytes(nonce: n, label: QAContent.getLabel, count: p.getBytes)),
            QACheck.download.rawValue: QAContent.sha256(QAContent.bytes(nonce: n, label: QAContent.downloadLabel, count: p.downloadBytes)),
            QACheck.multipartUpload.rawValue: QAContent.sha256(QAContent.bytes(nonce: n, label: QAContent.uploadLabel, count: p.uploadBytes)),
            QACheck.gzip.rawValue: QAContent.sha256(QAContent.bytes(nonce: n, label: QAContent.gzipLabel, count: p.gzipBytes)),
        ]
    }

    init(ticket: QASessionTicket, createdAtMs: Int64 = QASessionRecord.nowMs()) {
        self.ticket = ticket
        self.createdAtMs = createdAtMs
    }

    /// The wall clock in epoch milliseconds.
    static func nowMs(_ date: Date = Date()) -> Int64 {
        Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded(.down)) ?? 0
    }

    /// Milliseconds since the session was opened; 0 when the clock reads earlier (a clock set
    /// back, or another server's clock slightly behind).
    func ms(_ now: Int64 = QASessionRecord.nowMs()) -> Int {
        let (d, overflow) = now.subtractingReportingOverflow(createdAtMs)
        return overflow ? .max : Int(clamping: max(0, d))
    }

    /// Until when a session nobody closed is kept: its deadline plus `retention`.
    func keepUntilMs(retention: Duration) -> Int64 {
        let (seconds, attoseconds) = retention.components
        let (retentionMs, o1) = seconds.multipliedReportingOverflow(by: 1000)
        let (a, o2) = createdAtMs.addingReportingOverflow(Int64(ticket.plan.deadlineMs))
        let (b, o3) = a.addingReportingOverflow(retentionMs)
        let (c, o4) = b.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return o1 || o2 || o3 || o4 ? .max : c
    }

    var evidence: QASessionEvidence {
        QASessionEvidence(sessionID: ticket.sessionID, boardID: ticket.boardID, plan: ticket.plan,
                          observations: observations, rejections: rejections, report: report,
                          reportAtMs: reportAtMs, expected: expected,
                          interferenceNotKept: interferenceNotKept > 0 ? interferenceNotKept : nil,
                          rejectionsNotKept: rejectionsNotKept > 0 ? rejectionsNotKept : nil,
                          signedReport: signedReport)
    }
}

enum QARandom {
    /// `bytes` random bytes from the system generator, as lowercase hex.
    static func hex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// HMAC-SHA256 with the session key, compared case-insensitively with the board's hex (LuatOS
/// `crypto.hmac_sha256(data, key)` returns uppercase hex). The report is signed over its body;
/// every check request over `request(method:path:body:)`, so only the board (which alone has the
/// key) can add evidence a verdict reads.
enum QASignature {
    /// The header carrying the board's signature, on check requests and on the report.
    static let header = "X-QA-Signature"

    /// What the board signs for one check request: method, the session path (`/qa/<sid>/<endpoint>`)
    /// and the body's SHA-256 in uppercase hex, concatenated — the QA script computes
    /// `crypto.hmac_sha256(method .. path .. crypto.sha256(body or ""), cfg.key)`. The `Range`
    /// header is left out on purpose: the firmware adds it itself when it resumes a download, with
    /// the script's headers (and so this signature) unchanged.
    static func request(method: String, path: String, body: [UInt8]) -> [UInt8] {
        Array((method + path + QAContent.sha256(body).uppercased()).utf8)
    }

    static func hex(_ body: [UInt8], key: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8)))
        return QAContent.hexUpper(Array(mac))
    }

    static func verify(_ body: [UInt8], key: String, signature: String) -> Bool {
        let expected = Array(hex(body, key: key).utf8)
        let given = Array(signature.uppercased().utf8)
        guard expected.count == given.count else { return false }
        // Constant-time compare: the key must not leak through timing.
        var diff: UInt8 = 0
        for i in 0..<expected.count { diff |= expected[i] ^ given[i] }
        return diff == 0
    }
}
