import Foundation

/// One row per board run; phase durations as `phase_<name>_s` columns (RFC 4180 quoting).
enum CSVReport {
    static func render(runs: [RunRecord]) -> String {
        var phases: [String] = []
        for r in runs { for p in r.phases where !phases.contains(p.name) { phases.append(p.name) } }
        let header = ["run_id", "batch", "station", "slot_label", "slot_path", "imei", "iccid", "status",
                      "failure_class", "failure_phase", "started_at", "finished_at", "duration_s",
                      "checks_passed", "checks_total", "firmware_sha256", "script_sha256"]
            + phases.map { "phase_\($0)_s" }
        var lines = [header.map(field).joined(separator: ",")]
        for r in runs {
            var cells = [r.runID, r.batch, r.stationID, r.slotLabel, r.slotPath, r.imei ?? "", r.iccid ?? "",
                         r.status.rawValue, r.failureClass ?? "", r.failurePhase ?? "",
                         ReportTime.iso(r.startedAt), ReportTime.iso(r.finishedAt),
                         r.duration.map { String(format: "%.3f", $0) } ?? "",
                         String(r.checks.filter(\.passed).count), String(r.checks.count),
                         r.firmwareSHA256 ?? "", r.scriptSHA256 ?? ""]
            for name in phases {
                // A retried phase counts with its total time.
                let total = r.phases.filter { $0.name == name }.map(\.duration).reduce(0, +)
                cells.append(r.phases.contains { $0.name == name } ? String(format: "%.3f", total) : "")
            }
            lines.append(cells.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
