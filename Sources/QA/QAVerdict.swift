import Crypto
import Foundation
import Vocabulary

/// The result of one check.
public struct QACheckVerdict: Sendable, Equatable, Codable {
    public let check: String
    public let pass: Bool
    public let failure: FailureClass?
    /// Duration the board measured, when it reported one.
    public let boardMs: Int?
    /// When the server saw the request, ms since the session started.
    public let serverAtMs: Int?
    public let detail: String
    /// True when the board could not run the check on its firmware and the plan let it not count
    /// (`pass` is then true); nil otherwise, so verdicts without it encode as before.
    public let unavailable: Bool?
    /// The HTTP status or LuatOS library / QA script code the board gave for the check (its signed
    /// report, else its VUART line); nil when it gave none, so older verdicts decode the same.
    public let code: Int?

    public init(check: String, pass: Bool, failure: FailureClass?, boardMs: Int?, serverAtMs: Int?, detail: String,
                unavailable: Bool? = nil, code: Int? = nil) {
        self.check = check
        self.pass = pass
        self.failure = failure
        self.boardMs = boardMs
        self.serverAtMs = serverAtMs
        self.detail = detail
        self.unavailable = unavailable
        self.code = code
    }
}

/// Codes the QA script reports for a check that did not get as far as an HTTP status, beside the
/// firmware's own negative `http.request` codes (which stay small: -1 … -8,
/// components/network/libhttp/luat_http_client.c). Mirrored in `profiles/air780e/qa/main.lua`.
public enum QAScriptCode {
    /// A Lua error inside the check; the report's detail is the error message.
    public static let scriptError = -100
    /// The firmware lacks the module the check needs; the report marks it `unavailable`.
    public static let unavailable = -101
}

/// A board's signed-off verdict: PASS only if server evidence, the board's report and both
/// hashes agree before the deadline.
public struct QAVerdict: Sendable, Equatable, Codable {
    public let sessionID: String
    public let boardID: String
    public let pass: Bool
    public let failure: FailureClass?
    public let checks: [QACheckVerdict]
    public let imei: String?
    public let iccid: String?
    public let csq: Int?
    public let firmware: String?
    /// The board's RF calibration as its report gave it (nil without a report or from a QA
    /// script that did not ask, so earlier verdicts encode and verify as before).
    public var rfCalibration: QARFCalibration? = nil
    public let reportAtMs: Int?
    public let deadlineMs: Int
    public let notes: [String]
    /// HMAC-SHA256 over the verdict's canonical JSON (without this field) with the station's key,
    /// so a stored verdict cannot be edited unnoticed. Empty until `signed(with:)`.
    public var signature: String = ""
    /// The report the server accepted, as the board signed it, so a record can be checked later
    /// against the board's own signature; nil when no report was accepted (and in older verdicts).
    public var signedReport: QASignedReport?

    public init(sessionID: String, boardID: String, pass: Bool, failure: FailureClass?, checks: [QACheckVerdict],
                imei: String?, iccid: String?, csq: Int?, firmware: String?, reportAtMs: Int?, deadlineMs: Int,
                notes: [String], signature: String = "", signedReport: QASignedReport? = nil) {
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
        self.signedReport = signedReport
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
        if let more = evidence.rejectionsNotKept, more > 0 { notes.append("\(more) more refusals not kept") }
        // Only what the board signed is evidence. Anyone who knows the session id (it is in every
        // board URL) can send requests too; those are shown and counted, never judged, so a
        // stranger can neither fail a good board nor stand in for a board that never asked.
        let own = evidence.observations.filter { $0.interference == nil }
        let foreign = evidence.observations.filter { $0.interference != nil }
        let notKept = evidence.interferenceNotKept ?? 0
        if !foreign.isEmpty || notKept > 0 {
            let total = foreign.count.addingReportingOverflow(notKept)
            var perCheck: [String: Int] = [:]
            for o in foreign { perCheck[o.check, default: 0] += 1 }
            let list = perCheck.keys.sorted().map { "\($0) ×\(perCheck[$0]!)" }.joined(separator: ", ")
            notes.append("\(Self.requests(total.overflow ? .max : total.partialValue)) not signed by the board "
                         + "ignored as interference (\(list)\(notKept > 0 ? ", \(notKept) more not kept" : ""))")
        }
        let attachFailed = boardEvents.contains { $0.ev == "attach" && $0.ok == false }
        let report = evidence.report
        let reportInTime = report != nil && (evidence.reportAtMs ?? .max) <= plan.deadlineMs

        var checks: [QACheckVerdict] = []
        let names = plan.checks.map(\.rawValue) + plan.extraURLs.indices.map { "extra_\($0 + 1)" }
        for name in names {
            let all = own.filter { $0.check == name }
            // A download (GET) the board resumed with `Range` after a drop has several answers; the
            // last one that carried content speaks for the check (its served hash is the whole
            // content's), and together they must have carried every byte. Anything else (POSTs)
            // is judged on its last request, as before.
            let served = all.filter { $0.method == "GET" && ($0.status == 200 || $0.status == 206) }
            let observation = all.last?.method == "GET" ? (served.last ?? all.last) : all.last
            // A resumed download ends in 206: the firmware reports the status line of its last
            // answer (LuatOS components/network/libhttp/luat_http_client.c parses each
            // re-request's answer anew). The server must have served that 206 itself.
            let resumedStatus = served.contains { $0.status == 206 } ? 206 : 200
            let boardCheck = report?.checks.last { $0.name == name }
            let boardEvent = boardEvents.last { $0.ev == "check" && $0.name == name }
            // What the board said the check ended with: its signed report is its word, the VUART
            // line only stands in when no report came.
            let boardCode = boardCheck?.code ?? (report == nil ? boardEvent?.code : nil)
            func fail(_ failure: FailureClass, _ detail: String) -> QACheckVerdict {
                QACheckVerdict(check: name, pass: false, failure: failure, boardMs: boardCheck?.ms ?? boardEvent?.ms,
                               serverAtMs: observation?.atMs, detail: detail, code: boardCode)
            }
            // The board could not run the check on its firmware: the plan's policy decides.
            if (report == nil || reportInTime),
               (boardCheck?.unavailable ?? (report == nil ? boardEvent?.unavailable : nil)) == true {
                checks.append(unavailable(name, plan: plan, said: boardCheck?.detail ?? boardEvent?.detail,
                                          boardMs: boardCheck?.ms ?? boardEvent?.ms, code: boardCode))
                continue
            }
            guard let report else {
                // No report: classify from what the board said on its VUART, if anything.
                if attachFailed { checks.append(fail(.noNetworkAttach, "the board never attached")); continue }
                if boardEvent?.code == QAScriptCode.scriptError {
                    checks.append(fail(.scriptError, "QA script error: \(boardEvent?.detail ?? "no message")"))
                } else if let code = boardEvent?.code, code < 0 {
                    checks.append(fail(code == -8 ? .timeout : .httpLibraryError(code: code), "board logged code \(code)"))
                } else if let code = boardEvent?.code, code != 200, code != resumedStatus {
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
            if boardCheck.code == QAScriptCode.scriptError {
                checks.append(fail(.scriptError, "QA script error: \(boardCheck.detail ?? "no message")"))
                continue
            }
            if boardCheck.code < 0 {
                checks.append(fail(boardCheck.code == -8 ? .timeout : .httpLibraryError(code: boardCheck.code),
                                   "board reported code \(boardCheck.code)"))
                continue
            }
            if boardCheck.code != 200 && boardCheck.code != resumedStatus {
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
                                             detail: "board's word only: \(boardCheck.detail ?? "")", code: boardCheck.code))
                continue
            }
            guard let observation else {
                checks.append(fail(.contentMismatch, "board reports 200 but the server has no signed request from the board for it"))
                continue
            }
            guard observation.matched else {
                checks.append(fail(.contentMismatch, "server: \(observation.note)"))
                continue
            }
            if let gap = coverageGap(served) {
                checks.append(fail(.contentMismatch, "server: \(gap)"))
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
            let resumed = served.count > 1
                ? "; \(served.count) answers, \(served.filter { $0.range != nil }.count) of them ranged (resumed download)" : ""
            checks.append(QACheckVerdict(check: name, pass: true, failure: nil, boardMs: boardCheck.ms,
                                         serverAtMs: observation.atMs, detail: observation.note + resumed,
                                         code: boardCheck.code))
        }

        // Each check says how much interference it drew, so the record shows it beside the result.
        checks = checks.map { c in
            let n = foreign.filter { $0.check == c.check }.count
            guard n > 0 else { return c }
            return QACheckVerdict(check: c.check, pass: c.pass, failure: c.failure, boardMs: c.boardMs,
                                  serverAtMs: c.serverAtMs,
                                  detail: c.detail + "; \(Self.requests(n)) not signed by the board ignored (interference)",
                                  unavailable: c.unavailable, code: c.code)
        }

        var failure: FailureClass?
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
        var verdict = QAVerdict(sessionID: evidence.sessionID, boardID: evidence.boardID, pass: failure == nil,
                                failure: failure, checks: checks, imei: report?.imei, iccid: report?.iccid, csq: report?.csq,
                                firmware: report?.fw, reportAtMs: evidence.reportAtMs, deadlineMs: plan.deadlineMs,
                                notes: notes, signedReport: evidence.signedReport)
        verdict.rfCalibration = report?.rfCal
        return verdict
    }

    static func requests(_ n: Int) -> String { n == 1 ? "1 request" : "\(n) requests" }

    /// The verdict on a check the board said it cannot run on its firmware. Only checks whose
    /// module a build may lack (`QACheck.optionalModule`) can be unavailable; for those the plan's
    /// `unavailableChecks` decides between failing the board and not counting the check.
    static func unavailable(_ name: String, plan: QAPlan, said: String?, boardMs: Int?, code: Int? = nil) -> QACheckVerdict {
        let reason = said ?? "unavailable on this firmware"
        guard let module = QACheck(rawValue: name)?.optionalModule else {
            return QACheckVerdict(check: name, pass: false, failure: .unavailableOnFirmware, boardMs: boardMs, serverAtMs: nil,
                                  detail: "board says \"\(reason)\", but \(name) needs no module a firmware may lack",
                                  code: code)
        }
        switch plan.unavailableChecks {
        case .fail:
            return QACheckVerdict(check: name, pass: false, failure: .unavailableOnFirmware, boardMs: boardMs, serverAtMs: nil,
                                  detail: "\(reason) (needs \(module)); qa.unavailable_checks = \"fail\" fails the board",
                                  unavailable: true, code: code)
        case .skip:
            return QACheckVerdict(check: name, pass: true, failure: nil, boardMs: boardMs, serverAtMs: nil,
                                  detail: "\(reason) (needs \(module)); not counted: qa.unavailable_checks = \"skip\"",
                                  unavailable: true, code: code)
        }
    }

    /// Why the answers in `served` (200/206, in order) did not carry every byte, or nil when they
    /// did: a whole answer does; ranged answers must join up from byte 0 to the end.
    static func coverageGap(_ served: [QAObservation]) -> String? {
        if served.isEmpty || served.contains(where: { $0.range == nil }) { return nil }
        let ranges = served.compactMap(\.range).sorted { $0.first < $1.first }
        let total = ranges[0].total
        var next = 0
        for r in ranges {
            guard r.total == total else { return "ranged answers disagree on the size (\(total) and \(r.total) bytes)" }
            if r.first > next { return "bytes \(next)-\(r.first - 1) of \(total) were never served" }
            // Evidence can arrive decoded from outside (admin API): no overflow on a huge `last`.
            next = max(next, r.last == .max ? .max : r.last + 1)
        }
        return next >= total ? nil : "bytes \(next)-\(total - 1) of \(total) were never served"
    }
}
