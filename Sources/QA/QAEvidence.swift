/// What the QA server itself saw for one request of a session: the station's side of the truth.
public struct QAObservation: Sendable, Equatable, Codable {
    /// The check this request belongs to (`get`, `form_post`, …, or `report`).
    public let check: String
    /// Milliseconds since the session was created.
    public let atMs: Int
    public let method: String
    public let path: String
    /// The status the server answered.
    public let status: Int
    public let receivedBytes: Int
    /// SHA-256 (lowercase hex) of what was received (request body, or the uploaded file part).
    public let receivedSHA256: String?
    /// SHA-256 (lowercase hex) of what was served.
    public let servedSHA256: String?
    /// Whether what was received matched what the nonce says the board must send (always true
    /// for pure downloads, which receive nothing).
    public let matched: Bool
    public let note: String
    /// For an answer to a `Range` request (206), the bytes it carried; nil for a whole answer.
    /// `servedSHA256` stays the hash of the whole content either way.
    public let range: QAServedRange?
    /// Nil for a request the board signed with its session key; otherwise why it is not the
    /// board's (no or a wrong `X-QA-Signature`). Anyone who knows a session id (it is in every
    /// board URL) can send such a request, so it is kept and shown but never judged.
    public let interference: String?

    public init(check: String, atMs: Int, method: String, path: String, status: Int, receivedBytes: Int,
                receivedSHA256: String?, servedSHA256: String?, matched: Bool, note: String,
                range: QAServedRange? = nil, interference: String? = nil) {
        self.check = check
        self.atMs = atMs
        self.method = method
        self.path = path
        self.status = status
        self.receivedBytes = receivedBytes
        self.receivedSHA256 = receivedSHA256
        self.servedSHA256 = servedSHA256
        self.matched = matched
        self.note = note
        self.range = range
        self.interference = interference
    }
}

/// A request the server refused (unknown session, bad signature, replay, oversized body, …).
public struct QARejection: Sendable, Equatable, Codable {
    public let sessionID: String?
    public let atMs: Int
    public let path: String
    public let status: Int
    public let reason: String
}

/// The board's final report, as it signed it.
public struct QABoardReport: Sendable, Equatable, Codable {
    public struct Check: Sendable, Equatable, Codable {
        public let name: String
        public let code: Int
        public let ms: Int
        public let ok: Bool
        public let hash: String?
        public let detail: String?
        /// The board could not run the check on its firmware (a module it lacks; `detail` names it).
        public let unavailable: Bool?
    }
    public let sid: String
    /// What `mobile.imei()`, `mobile.iccid()`, `mobile.csq()` and `rtos.version()` returned. The
    /// firmware gives nil for an IMEI or ICCID it cannot read (no SIM: no ICCID), and the
    /// board's `json.encode` then leaves the key out, so a board without a SIM still reports
    /// (openLuat/LuatOS components/mobile/luat_lib_mobile.c: `l_mobile_imei`, `l_mobile_iccid`
    /// push nil when `luat_mobile_get_*` fails; `l_mobile_csq` pushes 0).
    public let imei: String?
    public let iccid: String?
    public let csq: Int?
    public let fw: String?
    public let attachMs: Int?
    public let checks: [Check]
    public let downloadSHA256: String?
    /// The RF calibration flags as `mobile.ecnpicfg()` gave them, or `absent` on a build without
    /// it; nil in reports of QA scripts that did not ask.
    public let rfCal: QARFCalibration?

    enum CodingKeys: String, CodingKey {
        case sid, imei, iccid, csq, fw, checks
        case attachMs = "attach_ms"
        case downloadSHA256 = "download_sha256"
        case rfCal = "rf_cal"
    }
}

/// What the QA script found of the board's RF calibration. `mobile.ecnpicfg()` exists only in
/// builds with `LUAT_USE_MOBILE_ECNPICFG` (the V1112 release has it not) and returns whether the
/// calibration passed and a table of the NPI flags `rfCaliDone`, `rfNSTDone` (as vendor factory
/// scripts built on LuatOS call it: `local passed, status = mobile.ecnpicfg()`). The flags are
/// the ones `AT+ECNPICFG?` answers (`+ECNPICFG: "rfCaliDone":%d,"rfNSTDone":%d`, the EC618 SDK's
/// `pdevNPICFG`). In the report: `"absent"`, `{"error": "…"}`, or
/// `{"passed": true, "rfCaliDone": 1, "rfNSTDone": 1}`.
public enum QARFCalibration: Sendable, Equatable, Codable {
    /// The firmware has no `mobile.ecnpicfg` (the script never called it).
    case absent
    /// The call raised an error (its message).
    case unreadable(String)
    /// What the call returned.
    case flags(passed: Bool, rfCaliDone: Int?, rfNSTDone: Int?)

    static let absentText = "absent"

    private enum Keys: String, CodingKey { case passed, rfCaliDone, rfNSTDone, error }

    public init(from decoder: Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            guard text == Self.absentText else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "rf_cal is \"\(text)\", not \"absent\" or a table"))
            }
            self = .absent
            return
        }
        let c = try decoder.container(keyedBy: Keys.self)
        if let message = try c.decodeIfPresent(String.self, forKey: .error) {
            self = .unreadable(message)
            return
        }
        self = .flags(passed: try c.decode(Bool.self, forKey: .passed),
                      rfCaliDone: try c.decodeIfPresent(Int.self, forKey: .rfCaliDone),
                      rfNSTDone: try c.decodeIfPresent(Int.self, forKey: .rfNSTDone))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .absent:
            var c = encoder.singleValueContainer()
            try c.encode(Self.absentText)
        case .unreadable(let message):
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(message, forKey: .error)
        case .flags(let passed, let cali, let nst):
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(passed, forKey: .passed)
            try c.encodeIfPresent(cali, forKey: .rfCaliDone)
            try c.encodeIfPresent(nst, forKey: .rfNSTDone)
        }
    }
}

/// Everything recorded for one session, as the verdict reads it.
public struct QASessionEvidence: Sendable, Equatable, Codable {
    public let sessionID: String
    public let boardID: String
    public let plan: QAPlan
    public let observations: [QAObservation]
    public let rejections: [QARejection]
    public let report: QABoardReport?
    /// When the accepted report arrived (ms since session creation).
    public let reportAtMs: Int?
    /// Expected SHA-256 (lowercase hex) per check label, derived from the nonce.
    public let expected: [String: String]
    /// Interference observations past the per-session cap (`QAServerState.interferenceKept`),
    /// counted but not kept; nil when none were dropped (so earlier evidence decodes the same).
    public let interferenceNotKept: Int?
    /// Refusals past the per-session cap (`QAServerState.rejectionsKept`), counted but not kept;
    /// nil when none were dropped.
    public let rejectionsNotKept: Int?
    /// The accepted report as the board signed it (bytes, signature, session key), for the
    /// verdict to carry into the record; nil without an accepted report, and in older evidence.
    public var signedReport: QASignedReport? = nil
}

/// What a station takes over when it closes a session: the evidence and the verdict on it. The
/// server forgets the session as it hands this over.
public struct QASessionHandover: Sendable, Equatable, Codable {
    public let evidence: QASessionEvidence
    public let verdict: QAVerdict
}
