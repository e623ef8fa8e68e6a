import Foundation
import Records
import Station

/// One board's page: its run as the store keeps it (verdict, step timings, QA checks and
/// evidence) and its events in order. Rendered on the server: plain HTML, no script.
enum ConsoleBoardPage {
    static func html(_ run: RunRecord, events: [EventRecord]) -> String {
        let time = ISO8601DateFormatter.withMilliseconds
        var rows: [String] = []
        let result = run.status.rawValue.uppercased() + (run.failureClass.map { " \($0.rawValue)" } ?? "")
        rows.append(table(["", ""], [
            ["Result", result],
            ["Station", run.stationID],
            ["Slot", "\(run.slotLabel) (\(run.slotPath))"],
            ["Batch", run.batch],
            ["IMEI", run.imei ?? "–"],
            ["ICCID", run.iccid ?? "–"],
            ["Started", time.string(from: run.startedAt)],
            ["Finished", run.finishedAt.map { time.string(from: $0) } ?? "–"],
            ["Failed step", run.failurePhase ?? "–"],
            ["Detail", run.detail ?? "–"],
            ["Flash NAKs / retries", "\(run.flashNAKs) / \(run.flashRetries)"],
            ["Signal (CSQ)", run.verdict?.csq.map(String.init) ?? "–"],
            ["QA session", run.verdict?.sessionID ?? "–"],
        ], headless: true))
        rows.append("<h2>Steps</h2>")
        rows.append(table(["Step", "Outcome", "Seconds", "NAKs", "Retries", "Detail"], run.phases.map {
            [$0.name, $0.outcome, String(format: "%.2f", $0.endedAt.timeIntervalSince($0.startedAt)),
             "\($0.flashNAKs)", "\($0.flashRetries)", $0.detail ?? ""]
        }))
        rows.append("<h2>QA checks</h2>")
        rows.append(table(["Check", "Passed", "Code", "ms", "Class", "Evidence"], run.checks.map {
            [$0.name, $0.passed ? "yes" : "NO", $0.code.map(String.init) ?? "", "\($0.durationMs)",
             $0.failureClass?.rawValue ?? "", $0.detail ?? ""]
        }))
        rows.append("<h2>Events</h2>")
        rows.append(table(["Time", "Event", "Fields"], events.map {
            [time.string(from: $0.at), $0.kind, $0.payload]
        }))
        return page(title: "\(run.slotLabel) · \(result)", body: rows.joined(separator: "\n"))
    }

    static func missing(_ runID: String) -> String {
        page(title: "No such board", body: "<p>No run \(escape(runID)) in the store.</p>")
    }

    private static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title><link rel="icon" href="data:,">
        <style>
        body { font-family: system-ui, sans-serif; margin: 16px; color: #202124; }
        table { border-collapse: collapse; margin-bottom: 12px; }
        th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #dadce0; vertical-align: top; }
        td { font-family: ui-monospace, monospace; font-size: 0.9rem; white-space: pre-wrap; word-break: break-all; }
        </style></head>
        <body><p><a href="/">← console</a></p><h1>\(escape(title))</h1>
        \(body)
        </body></html>
        """
    }

    private static func table(_ head: [String], _ rows: [[String]], headless: Bool = false) -> String {
        let header = headless ? "" : "<tr>" + head.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
        let body = rows.map { row in
            "<tr>" + row.enumerated().map { index, cell in
                headless && index == 0 ? "<th>\(escape(cell))</th>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>"
        }.joined(separator: "\n")
        return "<table>\(header)\n\(body)</table>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
