import Firmware
import ArgumentParser
import Foundation
import Records
import Station

/// `provision report`: batch QA reports from the results store.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a batch QA report (HTML, CSV, JSON or JUnit XML) from the results store.")

    @OptionGroup var store: StoreOption
    var db: String { store.db ?? StoreURL.defaultURL }

    @Option(help: "Only this batch.")
    var batch: String?

    @Option(help: "Only runs started at or after this time (ISO 8601, e.g. 2026-11-27T06:00:00Z).")
    var since: String?

    @Option(help: "Report format: html, csv, json or junit.")
    var format: ReportFormat = .html

    @Option(name: .shortAndLong, help: "Output file (optional with --check-signatures).")
    var output: String?

    @Flag(help: """
        Check each run's kept QA report against the board's signature and print ok, mismatch or \
        not signed per run; exits \(ProvisionExit.signatureMismatch) when any record does not match.
        """)
    var checkSignatures = false

    func run() async throws {
        do {
            guard output != nil || checkSignatures else {
                throw ReportInputError(reason: "-o FILE is required (or --check-signatures)")
            }
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
            if let output {
                let text = try format.render(title: title, runs: runs)
                try writeAtomically(Array(text.utf8), to: output)
                let decided = runs.filter { $0.status == .pass || $0.status == .fail }.count
                let passed = runs.filter { $0.status == .pass }.count
                print("wrote \(output): \(format.rawValue), \(runs.count) runs, \(passed)/\(decided) passed")
            }
            if checkSignatures { try Self.printSignatureChecks(of: runs) }
        } catch {
            throw fail(error)
        }
    }

    /// One line per run (`<run id> <slot> <result>`) and a total; throws when any record does
    /// not match what its board signed.
    static func printSignatureChecks(of runs: [RunRecord]) throws {
        var counts = (ok: 0, mismatch: 0, notSigned: 0)
        for run in runs {
            let check = VerdictSignatureCheck(run)
            switch check {
            case .ok: counts.ok += 1
            case .mismatch: counts.mismatch += 1
            case .notSigned: counts.notSigned += 1
            }
            print("\(run.runID) \(run.slotLabel) \(check)")
        }
        print("signatures: \(counts.ok) ok, \(counts.mismatch) mismatch, \(counts.notSigned) not signed")
        if counts.mismatch > 0 { throw SignatureMismatch(count: counts.mismatch) }
    }
}

/// Records that no longer say what their boards signed.
struct SignatureMismatch: ProvisionFailure {
    let count: Int
    var exitCode: Int32 { ProvisionExit.signatureMismatch }
    var description: String {
        "\(count) record\(count == 1 ? "" : "s") do\(count == 1 ? "es" : "") not match the board's signature"
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
