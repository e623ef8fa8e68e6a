import Foundation
import Vocabulary

/// The QA server's verdict on a run as the station received it, kept whole: the session, the
/// board's report exactly as it signed it, that signature and the session key, and what the board
/// said of each check. Enough to check, long after, that the record still says what the board
/// said (`provision report --check-signatures`). Schema v6; older runs have none.
public struct VerdictRecord: Sendable, Equatable, Codable {
    public var sessionID: String
    /// The report body the board signed, base64 (the exact bytes: a re-encoded JSON would not
    /// match the signature). Nil when the server accepted no report from the board.
    public var reportBase64: String?
    /// The board's `X-QA-Signature` over the report body (hex HMAC-SHA256).
    public var signature: String?
    /// The session's HMAC key. Single-use: it signed this one board's session and nothing else.
    public var key: String?
    /// Status or library code and failure class per check, in the verdict's order.
    public var checkCodes: [CheckCode]
    /// The board's identities and signal as the verdict took them from its report; the run's
    /// `imei`/`iccid` columns hold the same values.
    public var imei: String?
    public var iccid: String?
    public var csq: Int?

    public init(sessionID: String, reportBase64: String? = nil, signature: String? = nil, key: String? = nil,
                checkCodes: [CheckCode] = [], imei: String? = nil, iccid: String? = nil, csq: Int? = nil) {
        self.sessionID = sessionID
        self.reportBase64 = reportBase64
        self.signature = signature
        self.key = key
        self.checkCodes = checkCodes
        self.imei = imei
        self.iccid = iccid
        self.csq = csq
    }

    /// One check's outcome in the board's and the verdict's terms.
    public struct CheckCode: Sendable, Equatable, Codable {
        public var check: String
        /// The HTTP status or LuatOS / QA script code the board gave; nil when it gave none.
        public var code: Int?
        /// Why the verdict failed the check; nil when it passed.
        public var failureClass: FailureClass?

        public init(check: String, code: Int?, failureClass: FailureClass?) {
            self.check = check
            self.code = code
            self.failureClass = failureClass
        }
    }
}

extension RunRecord {
    /// NAKs and retries of every attempt of `step` (a flash step); nil when the step never ran.
    public func flashRepeats(_ step: StationStep) -> (naks: Int, retries: Int)? {
        let attempts = phases.filter { $0.name == step.rawValue }
        guard !attempts.isEmpty else { return nil }
        // Saturating: counts are report figures read from a store, never worth a trap.
        return attempts.reduce((0, 0)) { sum, p in
            (Self.saturatingSum(sum.0, p.flashNAKs), Self.saturatingSum(sum.1, p.flashRetries))
        }
    }

    /// Whether the run's per-step counts account for its totals. A run recorded before schema v6
    /// kept only totals: its steps read 0, and reports say the split is unknown rather than 0.
    public var flashRepeatsBySteps: Bool {
        let steps = [StationStep.flashFull, .flashScript].compactMap(flashRepeats)
        let naks = steps.reduce(0) { Self.saturatingSum($0, $1.naks) }
        let retries = steps.reduce(0) { Self.saturatingSum($0, $1.retries) }
        return naks == flashNAKs && retries == flashRetries
    }

    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}

/// How a verdict sits in the `runs` columns of schema v6: `qa_session_id`, `qa_report`,
/// `qa_signature`, `qa_key`, `qa_check_codes` (JSON), `csq`; the identities share the run's
/// `imei` and `iccid`.
enum VerdictColumns {
    static func encode(_ codes: [VerdictRecord.CheckCode]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(codes), as: UTF8.self)
    }

    /// The verdict in `columns` (the six above, in order), or nil for a run that has none.
    static func read(_ columns: [SQLValue], imei: String?, iccid: String?, run: String,
                     store: String) throws -> VerdictRecord? {
        guard columns.count == 6, let sessionID = columns[0].text else { return nil }
        func unreadable(_ reason: String) -> RecordsError {
            RecordsError(store: store, reason: "run \(run): \(reason)", isInputError: true)
        }
        var codes: [VerdictRecord.CheckCode] = []
        if let json = columns[4].text {
            do { codes = try JSONDecoder().decode([VerdictRecord.CheckCode].self, from: Data(json.utf8)) }
            catch { throw unreadable("qa_check_codes is not the per-check JSON this tool writes") }
        }
        var csq: Int?
        if let stored = columns[5].int {
            guard let value = Int(exactly: stored) else { throw unreadable("csq \(stored) does not fit") }
            csq = value
        }
        return VerdictRecord(sessionID: sessionID, reportBase64: columns[1].text, signature: columns[2].text,
                             key: columns[3].text, checkCodes: codes, imei: imei, iccid: iccid, csq: csq)
    }
}
