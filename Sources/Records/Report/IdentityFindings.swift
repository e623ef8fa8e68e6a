import Foundation
import Vocabulary

/// The HTML report's identity section: boards failed as a duplicate IMEI or for a label that
/// does not match, and reworked boards with the earlier record they replace — what a line lead
/// looks for before shipping a batch.
enum IdentityFindings {
    static func html(_ runs: [RunRecord]) -> String {
        let duplicates = runs.filter { $0.failureClass == .duplicateIMEI }
        let mismatches = runs.filter { $0.failureClass == .labelMismatch }
        let reworks = runs.filter { $0.reworkOf != nil }
        guard !duplicates.isEmpty || !mismatches.isEmpty || !reworks.isEmpty else { return "" }
        var html = "<h2>Identity</h2>\n"
        html += section("Duplicate IMEIs", "duplicates", duplicates)
        html += section("Label mismatches", "label-mismatches", mismatches)
        if !reworks.isEmpty {
            html += "<h3>Reworked boards</h3>\n<table class=\"reworks\"><tr><th>slot</th><th>IMEI</th><th>result</th>"
                + "<th>run</th><th>reworks run</th></tr>\n"
            for r in reworks {
                html += "<tr><td>\(xml(r.slotLabel))</td><td>\(xml(r.imei ?? ""))</td>"
                    + "<td class=\"\(r.status.rawValue)\">\(r.status.rawValue.uppercased())</td>"
                    + "<td><code>\(xml(r.runID))</code></td><td><code>\(xml(r.reworkOf ?? ""))</code></td></tr>\n"
            }
            html += "</table>\n"
        }
        return html
    }

    private static func section(_ title: String, _ cls: String, _ runs: [RunRecord]) -> String {
        guard !runs.isEmpty else { return "" }
        var html = "<h3>\(xml(title)) (\(runs.count))</h3>\n<table class=\"\(cls)\"><tr><th>slot</th><th>IMEI</th>"
            + "<th>started</th><th>run</th><th>detail</th></tr>\n"
        for r in runs {
            html += "<tr><td>\(xml(r.slotLabel))</td><td>\(xml(r.imei ?? ""))</td>"
                + "<td>\(xml(ReportTime.iso(r.startedAt)))</td><td><code>\(xml(r.runID))</code></td>"
                + "<td class=\"failure\">\(xml(r.detail ?? ""))</td></tr>\n"
        }
        return html + "</table>\n"
    }
}
