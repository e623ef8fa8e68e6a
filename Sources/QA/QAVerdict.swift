import Crypto
import Foundation

/// Why a check or a board failed. Encoded as one string: `no_network_attach`,
/// `http_library_error:-4`, `wrong_status:404`, `content_mismatch`, `timeout`, `no_report`.
public enum QAFailureClass: Sendable, Equatable, Codable, CustomStringConvertible {
    case noNetworkAttach
    /// A negative LuatOS `http.request` code (-4 connect, -5 closed, …).
    case httpLibraryError(code: Int)
    case wrongStatus(code: Int)
    case contentMismatch
    case timeout
    case noReport

    public var description: String {
        switch self {
        case .noNetworkAttach: return "no network attach"
        case .httpLibraryError(let code): return "HTTP library error \(code)"
        case .wrongStatus(let code): return "wrong status \(code)"
        case .contentMismatch: return "content mismatch"
        case .timeout: return "timeout"
        case .noReport: return "no report"
        }
    }

    /// The stable machine name (records, reports, JSON).
    public var code: String {
        switch self {
        case .noNetworkAttach: return "no_network_attach"
        case .httpLibraryError(let code): return "http_library_error:\(code)"
        case .wrongStatus(let code): return "wrong_status:\(code)"
        case .contentMismatch: return "content_mismatch"
        case .timeout: return "timeout"
        case .noReport: return "no_report"
        }
    }

    public init(code: String) throws {
        let parts = code.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first ?? "", parts.count > 1 ? Int(parts[1]) : nil) {
        case ("no_network_attach", nil): self = .noNetworkAttach
        case ("http_library_error", let n?): self = .httpLibraryError(code: n)
        case ("wrong_status", let n?): self = .wrongStatus(code: n)
        case ("content_mismatch", nil): self = .contentMismatch
        case ("timeout", nil): self = .timeout
        case ("no_report", nil): self = .noReport
        default: throw QAInputError(file: "verdict", reason: "unknown failure class \"\(code)\"")
        }
    }

    public init(from decoder: Decoder) throws {
        try self.init(code: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

/// The result of one check.
public struct QACheckVerdict: Sendable, Equatable, Codable {
    public let check: String
    public let pass: Bool
    public let failure: QAFailureClass?
    /// Duration the board measured, when it reported one.
    public let boardMs: Int?
    /// When the server saw the request, ms since the session started.
    public let serverAtMs: Int?
    public let detail: String
}

/// A board's signed-off verdict: PASS only if server evidence, the board's report and both
/// hashes agree before the deadline.
public struct QAVerdict: Sendable, Equatable, Codable {
    public let sessionID: String
    public let boardID: String
    public let pass: Bool
    public let failure: QAFailureClass?
    public let checks: [QACheckVerdict]
    public let imei: String?
    public let iccid: String?
    public let csq: Int?
    public let firmware: String?
    public let reportAtMs: Int?
    public let deadlineMs: Int
    public let notes: [String]
    /// HMAC-SHA256 over the verdict's canonical JSON (without this field) with the station's key,
    /// so a stored verdict cannot be edited unnoticed. Empty until `signed(with:)`.
    public var signature: String = ""

    public init(sessionID: String, boardID: String, pass: Bool, failure: QAFailureClass?, checks: [QACheckVerdict],
                imei: String?, iccid: String?, csq: Int?, firmware: String?, reportAtMs: Int?, deadlineMs: Int,
                notes: [String], signature: String = "") {
        self.sessionID = sessionID
        self.boardID = boardID
        self.pass = pass
        self.failure = failure
        self.checks = checks
        self.imei = imei
        self.iccid = iccid
        self.csq = csq
        self.firmware = firmware
        self.reportAtMs = reportAtMs
        self.deadlineMs = deadlineMs
        self.notes = notes
        self.signature = signature
    }

    /// This verdict signed with `stationKey`.
    public func signed(with stationKey: [UInt8]) -> QAVerdict {
        var copy = self
        copy.signature = ""
        copy.signature = QAVerdict.mac(copy, key: stationKey)
        return copy
    }

    /// Whether `signature` matches the content under `stationKey`.
    public func verifySignature(stationKey: [UInt8]) -> Bool {
        var copy = self
        copy.signature = ""
        return !signature.isEmpty && QAVerdict.mac(copy, key: stationKey) == signature
    }

    private static func mac(_ verdict: QAVerdict, key: [UInt8]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(verdict)).map { [UInt8]($0) } ?? []
        return QAContent.hexUpper(Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key))))
    }
}

/// Decides verdicts from evidence. Pure: same inputs, same verdict.
public enum QAJudge {
    /// - Parameters:
    ///   - evidence: what the server recorded for the session.
    ///   - boardEvents: the JSON lines from the board's VUART, if the station could read them.
    ///   - elapsedMs: time since the session started when judging (for "deadline passed").
    public static func verdict(evidence: QASessionEvidence, boardEvents: [QABoardEvent] = [],
                               elapsedMs: Int) -> QAVerdict {
        let plan = evidence.plan
        var notes = evidence.rejections.map { "refused \($0.path): \($0.reason)" }
        let attachFailed = boardEvents.contains { $0.ev == "attach" && $0.ok == false }
        let report = evidence.report
        let reportInTime = report != nil && (evidence.reportAtMs ?? .max) <= plan.deadlineMs

        var checks: [QACheckVerdict] = []
        let names = plan.checks.map(\.rawValue) + plan.extraURLs.indices.map { "extra_\($0 + 1)" }
        for name in names {
            let observation = evidence.observations.last { $0.check == name }
            let boardCheck = report?.checks.last { $0.name == name }
            let boardEvent = boardEvents.last { $0.ev == "check" && $0.name == name }
            func fail(_ failure: QAFailureClass, _ detail: String) -> QACheckVerdict {
                QACheckVerdict(check: name, pass: false, failure: failure, boardMs: boardCheck?.ms ?? boardEvent?.ms,
                               serverAtMs: observation?.atMs, detail: detail)
            }
            guard let report else {
                // No report: classify from what the board said on its VUART, if anything.
                if attachFailed { checks.append(fail(.noNetworkAttach, "the board never attached")); continue }
                if let code = boardEvent?.code, code < 0 {
                    checks.append(fail(code == -8 ? .timeout : .httpLibraryError(code: code), "board logged code \(code)"))
                } else if let code = boardEvent?.code, code != 200 {
                    checks.append(fail(.wrongStatus(code: code), "board logged status \(code)"))
                } else if elapsedMs < plan.deadlineMs {
                    checks.append(fail(.noReport, "no report yet"))
                } else {
                    checks.append(fail(.noReport, "no signed report reached the server"))
                }
                continue
            }
            guard reportInTime else {
                checks.append(fail(.timeout, "report arrived at \(evidence.reportAtMs ?? -1) ms, deadline \(plan.deadlineMs) ms"))
                continue
            }
            guard let boardCheck else { checks.append(fail(.noReport, "check missing from the report")); continue }
            if boardCheck.code < 0 {
                checks.append(fail(boardCheck.code == -8 ? .timeout : .httpLibraryError(code: boardCheck.code),
                                   "board reported code \(boardCheck.code)"))
                continue
            }
            if boardCheck.code != 200 {
                checks.append(fail(.wrongStatus(code: boardCheck.code), "board reported status \(boardCheck.code)"))
                continue
            }
            if boardCheck.ms > plan.checkTimeoutMs {
                checks.append(fail(.timeout, "took \(boardCheck.ms) ms, limit \(plan.checkTimeoutMs) ms"))
                continue
            }
            if name.hasPrefix("extra_") {
                checks.append(QACheckVerdict(check: name, pass: boardCheck.ok, failure: boardCheck.ok ? nil : .contentMismatch,
                                             boardMs: boardCheck.ms, serverAtMs: nil,
                                             detail: "board's word only: \(boardCheck.detail ?? "")"))
                continue
            }
            guard let observation else {
                checks.append(fail(.contentMismatch, "board reports 200 but the server has no record of the request"))
                continue
            }
            guard observation.matched else {
                checks.append(fail(.contentMismatch, "server: \(observation.note)"))
                continue
            }
            if let expected = evidence.expected[name] {
                // Hash checks: the board's hash must equal the nonce-derived content's.
                guard let hash = boardCheck.hash, hash.lowercased() == expected else {
                    checks.append(fail(.contentMismatch, "board's hash \(boardCheck.hash ?? "none") is not \(expected)"))
                    continue
                }
                if let served = observation.servedSHA256, served != expected {
                    checks.append(fail(.contentMismatch, "server served \(served), expected \(expected)"))
                    continue
                }
                if let received = observation.receivedSHA256, name == QACheck.multipartUpload.rawValue, received != expected {
                    checks.append(fail(.contentMismatch, "server received \(received), expected \(expected)"))
                    continue
                }
            }
            if name == QACheck.download.rawValue, let dl = report.downloadSHA256,
               dl.lowercased() != evidence.expected[name] {
                checks.append(fail(.contentMismatch, "downloaded file hash \(dl) differs"))
                continue
            }
            guard boardCheck.ok else {
                checks.append(fail(.contentMismatch, "board found the content wrong: \(boardCheck.detail ?? "")"))
                continue
            }
            checks.append(QACheckVerdict(check: name, pass: true, failure: nil, boardMs: boardCheck.ms,
                                         serverAtMs: observation.atMs, detail: observation.note))
        }

        var failure: QAFailureClass?
        if attachFailed && report == nil {
            failure = .noNetworkAttach
        } else if report != nil && !reportInTime {
            failure = .timeout
        } else if let first = checks.first(where: { !$0.pass }) {
            failure = first.failure
        } else if report == nil {
            failure = .noReport
        }
        if report == nil && !attachFailed && !checks.isEmpty && checks.allSatisfy({ $0.failure == .noReport }) {
            failure = .noReport
        }
        if report == nil { notes.append("no signed report accepted") }
        return QAVerdict(sessionID: evidence.sessionID, boardID: evidence.boardID, pass: failure == nil,
                         failure: failure, checks: checks, imei: report?.imei, iccid: report?.iccid, csq: report?.csq,
                         firmware: report?.fw, reportAtMs: evidence.reportAtMs, deadlineMs: plan.deadlineMs, notes: notes)
    }
}
