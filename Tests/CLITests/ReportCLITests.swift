import Foundation
import Records
import Testing

/// `provision report` and command-line usage errors: bad input is exit code 2, one clear message.
@Suite struct ReportCLITests {
    @Test func missingStoreBadTimeAndBadFormatAreInputErrors() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("r.html").path
        let missing = try await ProvisionBinary.run(["report", "--db", "sqlite:/nonexistent/x.sqlite", "-o", out])
        #expect(missing.status == 2)
        #expect(missing.stderr == "provision: sqlite:/nonexistent/x.sqlite: no such results store\n")
        let badTime = try await ProvisionBinary.run(["report", "--since", "yesterday", "-o", out])
        #expect(badTime.status == 2)
        #expect(badTime.stderr.contains("--since \"yesterday\" is not an ISO 8601 time"))
        let badFormat = try await ProvisionBinary.run(["report", "--format", "pdf", "-o", out])
        #expect(badFormat.status == 2)
        #expect(badFormat.stderr.contains("'pdf' is invalid for '--format"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func usageErrorsExitWithTwoAndHelpWithZero() async throws {
        #expect(try await ProvisionBinary.run(["inspect"]).status == 2)
        #expect(try await ProvisionBinary.run(["inspect", "--no-such-flag", "x.soc"]).status == 2)
        #expect(try await ProvisionBinary.run(["--help"]).status == 0)
    }

    @Test func reportNeedsAnOutputFileUnlessItChecksSignatures() async throws {
        let missing = try await ProvisionBinary.run(["report", "--db", "sqlite:/nonexistent/x.sqlite"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "provision: -o FILE is required (or --check-signatures)\n")
    }
}

/// The record keeps what the QA server decided, signed: `report --check-signatures` recomputes
/// each board's signature over the report bytes kept in the store, and one byte changed in the
/// store is found (exit 5). The reports show each slot's flash NAKs and retries per step.
@Suite struct ReportSignatureCLITests {
    /// Two simulated boards through the station, the first with a NAKed block in its full flash.
    private func station() throws -> (folder: URL, db: String) {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        let db = folder.appendingPathComponent("results.sqlite").path
        let station = try ProvisionBinary.run(["--soc", soc, app, "--simulate", "2", "--count", "2",
                                               "--db", "sqlite:" + db, "--batch", "sig", "--sim-fault", "1=nak-block"])
        #expect(station.status == 0, "\(station.stderr)")
        return (folder, db)
    }

    @Test func aTamperedReportByteIsFoundAndExitsFive() async throws {
        let (folder, db) = try station()
        defer { try? FileManager.default.removeItem(at: folder) }

        let clean = try await ProvisionBinary.run(["report", "--db", "sqlite:" + db, "--check-signatures"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.hasSuffix("signatures: 2 ok, 0 mismatch, 0 not signed\n"), "\(clean.stdout)")

        // One byte of the first board's kept report, changed in the store.
        let database = try SQLiteDatabase(path: db)
        let rows = try await database.fetch(SQLStatement("SELECT id, qa_report FROM runs WHERE slot_path = '99-1'"),
                                            columns: [.text, .text])
        guard case .text(let run)? = rows.first?[0], case .text(let kept)? = rows.first?[1],
              var bytes = Data(base64Encoded: kept) else {
            Issue.record("the station kept no signed report: \(rows)")
            await database.close()
            return
        }
        bytes[bytes.count / 2] ^= 0x20
        try await database.transaction([SQLStatement("UPDATE runs SET qa_report = ? WHERE id = ?",
                                                     [.text(bytes.base64EncodedString()), .text(run)])])
        await database.close()

        let tampered = try await ProvisionBinary.run(["report", "--db", "sqlite:" + db, "--check-signatures"])
        #expect(tampered.status == 5, "\(tampered.stdout) \(tampered.stderr)")
        #expect(tampered.stdout.contains("\(run) slot1 mismatch: the signature does not match the kept report"),
                "\(tampered.stdout)")
        #expect(tampered.stdout.hasSuffix("signatures: 1 ok, 1 mismatch, 0 not signed\n"), "\(tampered.stdout)")
        #expect(tampered.stderr == "provision: 1 record does not match the board's signature\n")
    }

    @Test func reportsCarryTheVerdictAndEachSlotsFlashCountsPerStep() async throws {
        let (folder, db) = try station()
        defer { try? FileManager.default.removeItem(at: folder) }

        let json = folder.appendingPathComponent("r.json").path
        let report = try await ProvisionBinary.run(["report", "--db", "sqlite:" + db, "--format", "json", "-o", json])
        #expect(report.status == 0, "\(report.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
            as? [String: Any])
        let runs = try #require(document["runs"] as? [[String: Any]])
        let bySlot = Dictionary(runs.map { ($0["slotPath"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let faulty = try #require(bySlot["99-1"]), clean = try #require(bySlot["99-2"])
        for run in [faulty, clean] {
            let verdict = try #require(run["verdict"] as? [String: Any], "\(run)")
            #expect((verdict["sessionID"] as? String)?.isEmpty == false)
            #expect((verdict["reportBase64"] as? String)?.isEmpty == false)
            #expect((verdict["signature"] as? String)?.isEmpty == false)
            #expect((verdict["key"] as? String)?.isEmpty == false)
            #expect(verdict["csq"] is Int)
            #expect(verdict["imei"] as? String == run["imei"] as? String)
            let codes = try #require(verdict["checkCodes"] as? [[String: Any]])
            #expect(codes.contains { $0["check"] as? String == "get" && $0["code"] as? Int == 200 }, "\(codes)")
        }
        // The faulty board's NAKs are its full flash's; the per-step counts add up to the run's.
        func stepCounts(_ run: [String: Any], _ phase: String) -> (Int, Int) {
            let phases = (run["phases"] as? [[String: Any]] ?? []).filter { $0["name"] as? String == phase }
            return (phases.reduce(0) { $0 + ($1["flashNAKs"] as? Int ?? 0) },
                    phases.reduce(0) { $0 + ($1["flashRetries"] as? Int ?? 0) })
        }
        let full = stepCounts(faulty, "flash_full"), script = stepCounts(faulty, "flash_script")
        #expect(full.0 >= 1, "\(faulty)")
        #expect(full.0 + script.0 == faulty["flashNAKs"] as? Int && full.1 + script.1 == faulty["flashRetries"] as? Int)

        let html = folder.appendingPathComponent("r.html").path
        #expect(try await ProvisionBinary.run(["report", "--db", "sqlite:" + db, "--format", "html", "-o", html]).status == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<td class=\"flash-full\">\(full.0) / \(full.1)</td><td class=\"flash-script\">\(script.0) / \(script.1)</td>"),
                "\(page)")
        #expect(page.contains("<td class=\"flash-full\">0 / 0</td><td class=\"flash-script\">0 / 0</td>"))

        let csv = folder.appendingPathComponent("r.csv").path
        #expect(try await ProvisionBinary.run(["report", "--db", "sqlite:" + db, "--format", "csv", "-o", csv]).status == 0)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\r\n").map(String.init)
        #expect(lines[0].contains(",flash_naks,flash_retries,flash_full_naks,flash_full_retries,flash_script_naks,flash_script_retries,csq,qa_session_id,"))
        #expect(lines.contains { $0.contains(",99-1,") && $0.contains(",\(full.0),\(full.1),\(script.0),\(script.1),") })

        let junit = folder.appendingPathComponent("r.junit.xml").path
        #expect(try await ProvisionBinary.run(["report", "--db", "sqlite:" + db, "--format", "junit", "-o", junit]).status == 0)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<property name=\"flash_full_naks\" value=\"\(full.0)\"/>"))
    }
}
