import Foundation
import Vocabulary

/// One row per board run; phase durations as `phase_<name>_s` columns (RFC 4180 quoting).
enum CSVReport {
    static func render(runs: [RunRecord]) -> String {
        var phases: [String] = []
        for r in runs { for p in r.phases where !phases.contains(p.name) { phases.append(p.name) } }
        var header = ["run_id", "batch", "station", "slot_label", "slot_path", "imei", "iccid", "status",
                      "failure_class", "failure_phase", "started_at", "finished_at", "duration_s",
                      "checks_passed", "checks_total", "firmware_sha256", "script_sha256",
                      "flash_naks", "flash_retries"]
        header += flashStepColumns.map(\.header)
        header += ["csq", "qa_session_id", "board_data_source", "board_data_row", "gates", "rework_of"]
        header += phases.map { "phase_\($0)_s" }
        var lines = [header.map(field).joined(separator: ",")]
        for r in runs {
            var cells: [String] = [r.runID, r.batch, r.stationID, r.slotLabel, r.slotPath, r.imei ?? "", r.iccid ?? "",
                         r.status.rawValue, r.failureClass?.rawValue ?? "", r.failurePhase ?? "",
                         ReportTime.iso(r.startedAt), ReportTime.iso(r.finishedAt),
                         r.duration.map { String(format: "%.3f", $0) } ?? "",
                         String(r.checks.filter(\.passed).count), String(r.checks.count),
                         r.firmwareSHA256 ?? "", r.scriptSHA256 ?? "",
                         String(r.flashNAKs), String(r.flashRetries)]
            cells += flashStepColumns.map { $0.cell(r) }
            cells += [r.verdict?.csq.map(String.init) ?? "", r.verdict?.sessionID ?? "",
                      r.boardData?.source ?? "", r.boardData?.row ?? "", gateCell(r.gates), r.reworkOf ?? ""]
            for name in phases {
                // A retried phase counts with its total time.
                let total = r.phases.filter { $0.name == name }.map(\.duration).reduce(0, +)
                cells.append(r.phases.contains { $0.name == name } ? String(format: "%.3f", total) : "")
            }
            lines.append(cells.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Per-step flash counts: empty when the step never ran, or when the run kept only totals
    /// (recorded before schema v6), so an unknown split never reads as 0.
    static let flashStepColumns: [(header: String, cell: @Sendable (RunRecord) -> String)] = [
        ("flash_full_naks", { r in CSVReport.stepCount(r, .flashFull) { $0.naks } }),
        ("flash_full_retries", { r in CSVReport.stepCount(r, .flashFull) { $0.retries } }),
        ("flash_script_naks", { r in CSVReport.stepCount(r, .flashScript) { $0.naks } }),
        ("flash_script_retries", { r in CSVReport.stepCount(r, .flashScript) { $0.retries } }),
    ]

    private static func stepCount(_ r: RunRecord, _ step: StationStep,
                                  _ pick: ((naks: Int, retries: Int)) -> Int) -> String {
        guard r.flashRepeatsBySteps, let counts = r.flashRepeats(step) else { return "" }
        return String(pick(counts))
    }

    /// `name=pass;name=fail` in gate-name order (details are in the JSON report).
    static func gateCell(_ gates: [GateResult]) -> String {
        gates.map { "\($0.name)=\($0.passed ? "pass" : "fail")" }.joined(separator: ";")
    }

    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
