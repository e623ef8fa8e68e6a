import Foundation
import Vocabulary

/// One self-contained HTML file (inline CSS and SVG, no scripts, no network): summary, failure
/// classes ranked, per-phase timing distributions, and a per-board table.
enum HTMLReport {
    static func render(summary s: BatchSummary, runs: [RunRecord]) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>\(xml(s.title))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:24px;color:#222}
        h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
        .meta{color:#666;font-size:13px}
        .cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}
        .card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:110px}
        .card b{display:block;font-size:22px}
        table{border-collapse:collapse;font-size:13px} td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left}
        th{background:#f6f6f6} .pass{color:#137333;font-weight:600} .fail{color:#b3261e;font-weight:600}
        .interrupted,.running{color:#8a6d00;font-weight:600} code{font-size:12px}
        td{white-space:nowrap} td.failure{white-space:normal;min-width:260px;max-width:420px;overflow-wrap:anywhere}
        td.checks{white-space:normal;min-width:180px;max-width:320px}
        svg text{font-family:system-ui,sans-serif;font-size:11px;fill:#333}
        </style></head><body>
        <h1>\(xml(s.title))</h1>
        <div class="meta">generated \(xml(ReportTime.iso(s.generatedAt))) · first start \(xml(ReportTime.iso(s.firstStart))) · last finish \(xml(ReportTime.iso(s.lastFinish)))</div>
        <div class="cards">
        \(card("boards", String(s.runs)))\(card("passed", String(s.passed)))\(card("failed", String(s.failed)))\(card("interrupted", String(s.interrupted)))\(card("pass rate", s.passRate.map { String(format: "%.1f %%", $0 * 100) } ?? "–"))\(card("boards / hour", s.boardsPerHour.map { String(format: "%.1f", $0) } ?? "–"))
        </div>

        """
        html += "<h2>Failure classes</h2>\n"
        if s.failureClasses.isEmpty {
            html += "<p>No failures.</p>\n"
        } else {
            html += failureChart(s.failureClasses)
        }
        html += "<h2>Phase timings</h2>\n"
        if s.phaseTimings.isEmpty {
            html += "<p>No phases recorded.</p>\n"
        } else {
            html += "<table><tr><th>phase</th><th>n</th><th>min</th><th>median</th><th>p90</th><th>max</th><th>distribution (seconds)</th></tr>\n"
            for t in s.phaseTimings {
                html += "<tr><td>\(xml(t.phase))</td><td>\(t.count)</td><td>\(sec(t.min))</td><td>\(sec(t.p50))</td>"
                    + "<td>\(sec(t.p90))</td><td>\(sec(t.max))</td><td>\(timingPlot(t))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += IdentityFindings.html(runs)
        html += "<h2>Boards</h2>\n<table><tr><th>slot</th><th>path</th><th>IMEI</th><th>ICCID</th><th>result</th>"
            + "<th>failure</th><th>started</th><th>duration</th><th>flash NAKs</th><th>flash retries</th>"
            + "<th>full flash NAKs / retries</th><th>script flash NAKs / retries</th><th>CSQ</th><th>checks</th>"
            + "<th>data row</th><th>gates</th></tr>\n"
        for r in runs {
            let failure = [r.failureClass?.rawValue, r.failurePhase.map { "in \($0)" }, r.detail].compactMap { $0 }
                .joined(separator: " ")
            let checks = r.checks.map { "<span class=\"\($0.passed ? "pass" : "fail")\">\(xml($0.name))</span>" }
                .joined(separator: " ")
            let gates = r.gates.map { "<span class=\"\($0.passed ? "pass" : "fail")\">\(xml($0.name))</span>" }
                .joined(separator: " ")
            html += "<tr><td>\(xml(r.slotLabel))</td><td><code>\(xml(r.slotPath))</code></td>"
                + "<td>\(xml(r.imei ?? ""))</td><td>\(xml(r.iccid ?? ""))</td>"
                + "<td class=\"\(r.status.rawValue)\">\(r.status.rawValue.uppercased())</td><td class=\"failure\">\(xml(failure))</td>"
                + "<td>\(xml(ReportTime.iso(r.startedAt)))</td><td>\(r.duration.map(sec) ?? "")</td>"
                // A board that passed after NAKs is a board to watch: the counts sit beside its result.
                + "<td class=\"naks\">\(r.flashNAKs)</td><td class=\"retries\">\(r.flashRetries)</td>"
                // Which flash went through them: the full flash (with the QA image) or the script flash.
                + "<td class=\"flash-full\">\(stepRepeats(r, .flashFull))</td>"
                + "<td class=\"flash-script\">\(stepRepeats(r, .flashScript))</td>"
                + "<td class=\"csq\">\(r.verdict?.csq.map(String.init) ?? "")</td>"
                + "<td class=\"checks\">\(checks)</td>"
                // The row's id only: its values are the board's secrets.
                + "<td class=\"data-row\">\(xml(r.boardData.map { "\($0.source) \($0.row)" } ?? ""))</td>"
                + "<td class=\"checks gates\">\(gates)</td></tr>\n"
        }
        html += "</table>\n</body></html>\n"
        return html
    }

    /// "NAKs / retries" of one flash step; empty when the step never ran, "–" when the run kept
    /// only totals (recorded before schema v6).
    private static func stepRepeats(_ r: RunRecord, _ step: StationStep) -> String {
        guard let counts = r.flashRepeats(step) else { return "" }
        return r.flashRepeatsBySteps ? "\(counts.naks) / \(counts.retries)" : "–"
    }

    private static func card(_ label: String, _ value: String) -> String {
        "<div class=\"card\"><b>\(xml(value))</b>\(xml(label))</div>"
    }

    private static func sec(_ s: Double) -> String { String(format: "%.2f s", s) }

    /// Horizontal bars, longest first.
    private static func failureChart(_ classes: [BatchSummary.FailureClassCount]) -> String {
        let width = 560.0, rowHeight = 22.0, labelWidth = 180.0
        let maxCount = Double(classes.map(\.count).max() ?? 1)
        var svg = "<svg class=\"failure-classes\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" "
            + "height=\"\(Int(rowHeight * Double(classes.count) + 8))\" role=\"img\" aria-label=\"failure classes\">\n"
        for (i, c) in classes.enumerated() {
            let y = Double(i) * rowHeight + 4
            let w = max(2, (width - labelWidth - 50) * Double(c.count) / maxCount)
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(xml(c.failureClass.rawValue))</text>"
                + "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(fmt(w))\" height=\"\(rowHeight - 6)\" fill=\"#d93025\"/>"
                + "<text x=\"\(fmt(labelWidth + w + 6))\" y=\"\(y + 14)\">\(c.count)</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// A strip plot of one phase's durations: every sample a dot, the p50–p90 band shaded,
    /// the median a line, on an axis from 0 to the maximum.
    private static func timingPlot(_ t: BatchSummary.PhaseTiming) -> String {
        let width = 360.0, height = 44.0, left = 6.0, right = 6.0, axisY = 30.0
        let top = max(t.max, 0.001)
        func x(_ v: Double) -> Double { left + (width - left - right) * v / top }
        var svg = "<svg class=\"timing\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" "
            + "height=\"\(Int(height))\" role=\"img\" aria-label=\"\(xml(t.phase)) durations\">"
        svg += "<line x1=\"\(left)\" y1=\"\(axisY)\" x2=\"\(width - right)\" y2=\"\(axisY)\" stroke=\"#999\"/>"
        svg += "<rect x=\"\(fmt(x(t.p50)))\" y=\"6\" width=\"\(fmt(max(1, x(t.p90) - x(t.p50))))\" height=\"20\" fill=\"#c6dafc\"/>"
        for (i, v) in t.samples.enumerated() {
            // Deterministic vertical jitter keeps equal values visible without randomness.
            let y = 10 + Double((i * 7) % 13)
            svg += "<circle cx=\"\(fmt(x(v)))\" cy=\"\(fmt(y))\" r=\"2.5\" fill=\"#1a73e8\" fill-opacity=\"0.7\"/>"
        }
        svg += "<line x1=\"\(fmt(x(t.p50)))\" y1=\"4\" x2=\"\(fmt(x(t.p50)))\" y2=\"\(axisY)\" stroke=\"#174ea6\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(left)\" y=\"\(height - 2)\">0</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - 2)\" text-anchor=\"end\">\(String(format: "%.2f", top))</text>"
        return svg + "</svg>"
    }

    private static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}
