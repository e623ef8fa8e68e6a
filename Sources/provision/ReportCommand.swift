import Firmware
import ArgumentParser
import Foundation
import Records

/// `provision report`: batch QA reports from the results store.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a batch QA report (HTML, CSV, JSON or JUnit XML) from the results store.")

    @Option(help: "Results store: sqlite:PATH (default \(StoreURL.defaultURL)) or postgres://user@host:port/db.")
    var db: String = StoreURL.defaultURL

    @Option(help: "Only this batch.")
    var batch: String?

    @Option(help: "Only runs started at or after this time (ISO 8601, e.g. 2026-11-27T06:00:00Z).")
    var since: String?

    @Option(help: "Report format: html, csv, json or junit.")
    var format: ReportFormat = .html

    @Option(name: .shortAndLong, help: "Output file.")
    var output: String

    func run() async throws {
        do {
            var sinceDate: Date?
            if let since {
                guard let parsed = ISO8601DateFormatter().date(from: since) else {
                    throw ReportInputError(reason: "--since \"\(since)\" is not an ISO 8601 time (2026-11-27T06:00:00Z)")
                }
                sinceDate = parsed
            }
            // A report reads an existing store; opening a missing SQLite file would create an empty one.
            if !db.contains("://") {
                let path = db.hasPrefix("sqlite:") ? String(db.dropFirst("sqlite:".count)) : db
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ReportInputError(reason: "\(db): no such results store")
                }
            }
            // Read-only: a report never changes the store (nor a file that turns out not to be one).
            let store = try await StoreURL.openForReading(db)
            let runs: [RunRecord]
            do {
                runs = try await store.runs(RunQuery(batch: batch, since: sinceDate))
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            let title = batch.map { "Batch \($0)" } ?? sinceDate.map { "Runs since \(ReportTimeLabel.iso($0))" }
                ?? "All runs"
            let text = try format.render(title: title, runs: runs)
            try writeAtomically(Array(text.utf8), to: output)
            let decided = runs.filter { $0.status == .pass || $0.status == .fail }.count
            let passed = runs.filter { $0.status == .pass }.count
            print("wrote \(output): \(format.rawValue), \(runs.count) runs, \(passed)/\(decided) passed")
        } catch {
            throw fail(error)
        }
    }
}

extension ReportFormat: ExpressibleByArgument {}

/// A bad `provision report` option.
struct ReportInputError: ProvisionFailure {
    let reason: String
    var exitCode: Int32 { ProvisionExit.inputError }
    var description: String { reason }
}

enum ReportTimeLabel {
    static func iso(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }
}
