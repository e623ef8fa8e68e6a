import Foundation
import Vocabulary

/// JUnit XML: one test suite per batch, one test case per board and one per check of that board,
/// so CI dashboards that read JUnit show the line's results.
enum JUnitReport {
    static func render(summary: BatchSummary, runs: [RunRecord]) -> String {
        var cases: [String] = []
        var failures = 0
        var errors = 0
        for r in runs {
            let board = "\(r.slotLabel) \(r.imei ?? r.runID)"
            let classname = "\(r.batch).\(r.slotLabel)"
            var body = ""
            switch r.status {
            case .pass: break
            case .fail:
                failures += 1
                body = "<failure type=\"\(xml((r.failureClass ?? .unclassified).rawValue))\" message=\"\(xml(failureMessage(r)))\"/>"
            case .interrupted, .running:
                errors += 1
                body = "<error type=\"\(r.status.rawValue)\" message=\"\(xml(r.detail ?? r.status.rawValue))\"/>"
            }
            cases.append(testCase(classname: classname, name: "board \(board)", seconds: r.duration ?? 0,
                                  body: properties(r) + body))
            for c in r.checks {
                let checkBody: String
                if c.passed {
                    checkBody = ""
                } else {
                    failures += 1
                    let message = [c.failureClass?.rawValue, c.code.map { "code \($0)" }, c.detail].compactMap { $0 }
                        .joined(separator: ": ")
                    checkBody = "<failure type=\"\(xml(c.failureClass?.rawValue ?? "check"))\" message=\"\(xml(message))\"/>"
                }
                cases.append(testCase(classname: classname, name: "check \(c.name) \(board)",
                                      seconds: Double(c.durationMs) / 1000, body: checkBody))
            }
        }
        let total = cases.count
        let seconds = runs.compactMap(\.duration).reduce(0, +)
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="provision" tests="\(total)" failures="\(failures)" errors="\(errors)" time="\(fmt(seconds))">
          <testsuite name="\(xml(summary.title))" tests="\(total)" failures="\(failures)" errors="\(errors)" time="\(fmt(seconds))" timestamp="\(ReportTime.iso(summary.firstStart ?? summary.generatedAt))">
        \(cases.map { "    " + $0 }.joined(separator: "\n"))
          </testsuite>
        </testsuites>

        """
    }

    /// The board's flash counts (totals, and per step as CSV names them) as test case
    /// properties, which JUnit readers show beside the result.
    private static func properties(_ r: RunRecord) -> String {
        var values = [("flash_naks", String(r.flashNAKs)), ("flash_retries", String(r.flashRetries))]
        for column in CSVReport.flashStepColumns {
            let cell = column.cell(r)
            if !cell.isEmpty { values.append((column.header, cell)) }
        }
        if let csq = r.verdict?.csq { values.append(("csq", String(csq))) }
        if let data = r.boardData { values += [("board_data_source", data.source), ("board_data_row", data.row)] }
        values += r.gates.map { ("gate_\($0.name)", ($0.passed ? "pass" : "fail") + ($0.detail.map { ": \($0)" } ?? "")) }
        if let earlier = r.reworkOf { values.append(("rework_of", earlier)) }
        return "<properties>" + values.map { "<property name=\"\($0.0)\" value=\"\(xml($0.1))\"/>" }.joined()
            + "</properties>"
    }

    private static func failureMessage(_ r: RunRecord) -> String {
        [r.failurePhase.map { "phase \($0)" }, r.detail].compactMap { $0 }.joined(separator: ": ")
    }

    private static func testCase(classname: String, name: String, seconds: Double, body: String) -> String {
        let open = "<testcase classname=\"\(xml(classname))\" name=\"\(xml(name))\" time=\"\(fmt(seconds))\""
        return body.isEmpty ? open + "/>" : open + ">" + body + "</testcase>"
    }

    private static func fmt(_ s: Double) -> String { String(format: "%.3f", s) }
}

/// Escapes text for XML/HTML attribute and element content.
func xml(_ s: String) -> String {
    var out = ""
    for ch in s.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            // Control characters are not allowed in XML 1.0.
            if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { out += "?" } else { out.unicodeScalars.append(ch) }
        }
    }
    return out
}
