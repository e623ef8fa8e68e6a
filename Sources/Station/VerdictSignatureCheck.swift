import Foundation
import QA
import Records

/// Whether a recorded run still says what its board signed. It lives here, where records and the
/// QA signature are both visible: the HMAC itself is QA's (`QASignedReport.isAuthentic`, the
/// check the server ran before accepting the report), so there is one definition of it.
public enum VerdictSignatureCheck: Sendable, Equatable, CustomStringConvertible {
    /// The kept report matches its signature, and the record's session and identities are the
    /// report's.
    case ok
    /// The record was changed after the board signed it (or was written by something else).
    case mismatch(reason: String)
    /// The run kept no signed report: recorded before schema v6, an app-log flow, no QA step
    /// reached, or the server accepted no report from the board.
    case notSigned

    public init(_ run: RunRecord) {
        guard let verdict = run.verdict,
              verdict.reportBase64 != nil || verdict.signature != nil || verdict.key != nil else {
            self = .notSigned
            return
        }
        guard let text = verdict.reportBase64, let signature = verdict.signature, let key = verdict.key else {
            self = .mismatch(reason: "the record keeps only part of the signed report (report, signature, key)")
            return
        }
        guard let body = Data(base64Encoded: text) else {
            self = .mismatch(reason: "the kept report is not base64")
            return
        }
        let signed = QASignedReport(body: [UInt8](body), signature: signature, key: key)
        guard signed.isAuthentic else {
            self = .mismatch(reason: "the signature does not match the kept report")
            return
        }
        // The bytes are the board's; the columns beside them must say what the bytes say.
        guard let report = signed.report else {
            self = .mismatch(reason: "the signed report is not the QA report JSON")
            return
        }
        func shown(_ value: String?) -> String { value ?? "none" }
        func shown(_ value: Int?) -> String { value.map(String.init) ?? "none" }
        let pairs: [(String, String, String)] = [
            ("session", verdict.sessionID, report.sid),
            ("IMEI", shown(run.imei), shown(report.imei)),
            ("ICCID", shown(run.iccid), shown(report.iccid)),
            ("CSQ", shown(verdict.csq), shown(report.csq)),
        ]
        let differences = pairs.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) in the record, \($0.2) in the signed report" }
        self = differences.isEmpty ? .ok : .mismatch(reason: differences.joined(separator: "; "))
    }

    public var description: String {
        switch self {
        case .ok: return "ok"
        case .mismatch(let reason): return "mismatch: \(reason)"
        case .notSigned: return "not signed"
        }
    }
}
