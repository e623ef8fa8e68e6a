import Foundation
import Testing
import TestSupport

/// The station as the operator runs it, on simulated boards: verdicts, failure classes, records,
/// exit codes, and the report made from the store.
@Suite(.serialized) struct StationCLITests {
    private func fixture() throws -> (folder: URL, soc: String, app: String) {
        try ProvisionBinary.stationLine()
    }

    @Test func mixedFaultsGiveTheRightVerdictsRecordsAndReport() async throws {
        let (folder, soc, app) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = "sqlite:" + folder.appendingPathComponent("results.sqlite").path
        let result = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "4", "--count", "6", "--db", db, "--batch", "t1", "--json",
            "--sim-fault", "2=corrupt-download", "--sim-fault", "3=no-network", "--sim-fault", "4=nak-block",
            "--sim-fault", "1=drop-mid-download",
        ])
        #expect(result.status == 1, "a failed board makes exit code 1: \(result.stderr)")
        let events = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let verdicts = events.filter { $0["event"] as? String == "verdict" }
        #expect(verdicts.count == 6)
        let bySlot = Dictionary(grouping: verdicts) { $0["slot"] as? String ?? "" }
        #expect(bySlot.keys.sorted() == ["99-1", "99-2", "99-3", "99-4"])
        let failures = verdicts.filter { $0["status"] as? String == "fail" }
            .compactMap { $0["failure_class"] as? String }.sorted()
        #expect(failures == ["content_mismatch", "no_network_attach"])
        // Board 4 NAKed a block; the flasher's retry recovered and it passed. Board 1's 4G link
        // dropped twice mid-download; the firmware's Range re-requests recovered and it passed.
        #expect(verdicts.filter { $0["status"] as? String == "pass" }.count == 4)

        let csvPath = folder.appendingPathComponent("report.csv").path
        let report = try await ProvisionBinary.run(["report", "--db", db, "--batch", "t1", "--format", "csv", "-o", csvPath])
        #expect(report.status == 0, "\(report.stderr)")
        let rows = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\r\n")
        #expect(rows.count == 7)
        #expect(rows.filter { $0.contains(",pass,") }.count == 4)
        #expect(rows.contains { $0.contains(",fail,content_mismatch,qa,") })
        #expect(rows.contains { $0.contains(",fail,no_network_attach,qa,") })
    }

    @Test func badInputIsRefusedBeforeAnyBoardIsTouched() async throws {
        let (folder, soc, app) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("results.sqlite").path
        let broken = folder.appendingPathComponent("broken.lua").path
        try Data("sys.taskInit(function()\n  log.info('x'\nend)\n".utf8).write(to: URL(fileURLWithPath: broken))
        for arguments in [
            ["--soc", soc, broken, "--simulate", "2"],
            ["--soc", folder.appendingPathComponent("missing.soc").path, app, "--simulate", "2"],
            ["--soc", soc, app, "--simulate", "2", "--sim-fault", "9=melt"],
            ["--soc", soc, app, "--simulate", "2", "--profile", "no-such-board"],
            ["--soc", soc, app, "--slots", "1-1.1=A1,usb3", "--dry-run"],
            ["--soc", soc, app, "--qa-listen", "0.0.0.0:8080"],
            ["--soc", soc, app, "--qa-listen", "localhost"],
            ["--soc", soc, app, "--webhook", "ftp://mes/x", "--simulate", "1"],
            ["--soc", soc, app, "--station", folder.appendingPathComponent("missing-station.toml").path],
            ["--soc", soc, app, "--sim-fault", "1=no-network"],
            ["--soc", soc, app, "--simulate", "1", "--tls-cert", soc],
            ["--soc", soc, app, "--qa-url", "ftp://qa.example/", "--dry-run"],
            ["--soc", soc, app, "--simulate", "1", "--report-folder", folder.appendingPathComponent("none").path],
            // Real boards reach the QA server over 4G: none named, or one naming this PC, is refused.
            ["--soc", soc, app, "--source", "kernel"],
            ["--soc", soc, app, "--source", "kernel", "--qa-url", "http://127.0.0.1:8080/"],
            ["--soc", soc, app, "--qa-server", "http://127.0.0.1:9/", "--qa-url", "http://qa.example/"],
            ["--soc", soc, app, "--qa-server", "http://127.0.0.1:9/"],
            ["--soc", soc, app, "--qa-server", "ftp://qa.example/", "--qa-token", "t"],
            ["--soc", soc, app, "--simulate", "1", "--qa-token", "t"],
            ["--soc", soc, app, "--simulate", "1", "--tls-cert", folder.appendingPathComponent("no.pem").path,
             "--tls-key", folder.appendingPathComponent("no.key").path],
        ] {
            let result = try await ProvisionBinary.run(arguments + ["--db", "sqlite:" + db])
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("provision: "))
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        // These were accepted (a fault that never fires, an empty station id, a count no shift
        // reaches, a profile that passes boards unchecked); each line names the option or key.
        let shipped = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("profiles/air780e.toml"),
                                 encoding: .utf8)
        let checks = #"checks = ["get", "form_post", "multipart_upload", "download", "json_roundtrip", "gzip", "https"]"#
        let noChecks = folder.appendingPathComponent("no-checks.toml")
        try Data(shipped.replacingOccurrences(of: checks, with: "checks = []").utf8).write(to: noChecks)
        let noSignOff = folder.appendingPathComponent("no-sign-off.toml")
        let flow = #"flow = ["enter_download_mode", "flash_full", "wait_running", "qa","#
        #expect(shipped.contains(flow))
        try Data(shipped.replacingOccurrences(of: flow, with: #"flow = ["enter_download_mode", "flash_full", "wait_running","#)
            .replacingOccurrences(of: #""wait_running", "boot_check"]"#, with: #""wait_running"]"#).utf8)
            .write(to: noSignOff)
        for (arguments, expected) in [
            (["--simulate", "2", "--count", "2", "--sim-fault", "9=nak-block"],
             "--sim-fault 9=nak-block: board 9 never comes; this run has boards 1–2 (--simulate 2, --count 2)"),
            (["--simulate", "2", "--once", "--sim-fault", "3=nak-block"], "board 3 never comes; this run has boards 1–2"),
            (["--simulate", "2", "--sim-bus", "pty", "--sim-fault", "3=no-network"], "board 3 never comes"),
            (["--simulate", "2", "--sim-fault", "0=nak-block"], "--sim-fault 0=nak-block: boards are numbered from 1"),
            (["--simulate", "2", "--sim-fault", "1="], "--sim-fault 1=: the kind is empty"),
            (["--simulate", "2", "--sim-fault", "=nak-block"], "--sim-fault =nak-block: expected N=KIND"),
            (["--simulate", "1", "--station-id", ""], "--station-id is empty"),
            (["--simulate", "1", "--station-id", "  "], "--station-id is empty"),
            (["--simulate", "1", "--count=-1"], "--count must be 1–1000000 boards (got -1)"),
            (["--simulate", "1", "--count", "9223372036854775807"], "--count must be 1–1000000 boards"),
            (["--simulate=-2"], "--simulate must be 1–64 boards (got -2)"),
            (["--simulate", "1", "--profile", noChecks.path], "no-checks.toml: qa.checks is empty"),
            (["--simulate", "1", "--profile", noSignOff.path], "no-sign-off.toml: station.flow has no sign-off step"),
        ] {
            let result = try await ProvisionBinary.run(["--soc", soc, app] + arguments + ["--db", "sqlite:" + db])
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("provision: ") && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: db), "nothing is recorded for refused input")
    }

    /// A NAKed block the flasher recovers from used to leave no trace: the run record and the
    /// reports now keep each board's NAK and retry counts, and a clean board shows 0.
    @Test func aRecoveredNAKIsCountedInTheBoardsRecordAndReports() async throws {
        let (folder, soc, app) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = "sqlite:" + folder.appendingPathComponent("results.sqlite").path
        let result = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "2", "--count", "2", "--db", db,
                                              "--batch", "naks", "--json", "--sim-fault", "1=nak-block"])
        #expect(result.status == 0, "\(result.stderr)")
        let repeats = ProvisionBinary.events(result.stdout, named: "flash_repeats")
        #expect(repeats.map { $0["slot"] as? String } == ["99-1"], "\(repeats)")
        #expect((repeats.first?["naks"] as? Int ?? 0) >= 1 && (repeats.first?["retries"] as? Int ?? 0) >= 1)

        let json = folder.appendingPathComponent("naks.json").path
        let report = try await ProvisionBinary.run(["report", "--db", db, "--batch", "naks", "--format", "json", "-o", json])
        #expect(report.status == 0, "\(report.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
            as? [String: Any])
        let runs = try #require(document["runs"] as? [[String: Any]])
        let bySlot = Dictionary(runs.map { ($0["slotPath"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let faulty = try #require(bySlot["99-1"]), clean = try #require(bySlot["99-2"])
        #expect(faulty["status"] as? String == "pass")
        #expect((faulty["flashNAKs"] as? Int ?? 0) >= 1 && (faulty["flashRetries"] as? Int ?? 0) >= 1, "\(faulty)")
        #expect(clean["flashNAKs"] as? Int == 0 && clean["flashRetries"] as? Int == 0, "\(clean)")

        let html = folder.appendingPathComponent("naks.html").path
        #expect(try await ProvisionBinary.run(["report", "--db", db, "--batch", "naks", "--format", "html", "-o", html]).status == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<th>flash NAKs</th><th>flash retries</th>"))
        #expect(page.contains("<td class=\"naks\">\(faulty["flashNAKs"] as? Int ?? -1)</td>"))
        #expect(page.contains("<td class=\"naks\">0</td><td class=\"retries\">0</td>"))
    }

    /// Every other command's numbers and URLs are bounded too: refused with one line naming the
    /// option, exit 2, before a port is bound or a board simulated. Each used to run (a server
    /// advertising `nope` to boards, a pty board offering a negative packet) or trap (`watch
    /// --for 1e300`); `timeout` turns a regression that runs into a failure instead of a hang.
    @Test func everyCommandRefusesAnOutOfRangeNumberOrABadURL() async throws {
        let (folder, soc, _) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (arguments, expected) in [
            (["qa-server", "--listen", "127.0.0.1:0", "--public-url", "nope"], "--public-url nope: not an http(s) URL"),
            (["qa-server", "--listen", "127.0.0.1:0", "--public-url", "ftp://qa.example/"], "--public-url ftp://qa.example/"),
            (["qa-server", "--listen", "127.0.0.1:0", "--public-https-url", "http://qa.example/"], "not an https URL"),
            (["qa-server", "--listen", "127.0.0.1:0", "--https-port=-5"], "--https-port must be 0–65535 (got -5)"),
            (["qa-server", "--bench-boards", "1000000000"], "--bench-boards must be 1–1000 boards"),
            (["qa-server", "--bench-boards", "0"], "--bench-boards must be 1–1000 boards (got 0)"),
            (["watch", "--for", "1e300"], "--for must be above 0 and at most 86400 s"),
            (["watch", "--for", "nan"], "--for must be above 0"),
            (["watch", "--for=-1"], "--for must be above 0"),
            (["watch", "--debounce-ms=-1"], "--debounce-ms must be 0–86400000 ms (got -1)"),
            (["watch", "--count", "0"], "--count must be 1–1000000 events (got 0)"),
            (["flash", "--soc", soc, "--dry-run", "--response-timeout-ms=-5"], "--response-timeout-ms must be 1–86400000 ms"),
            (["flash", "--soc", soc, "--dry-run", "--response-timeout-ms", "9223372036854775807"], "--response-timeout-ms"),
            (["flash", "--soc", soc, "--dry-run", "--retries=-1"], "--retries must be 0–100 resends (got -1)"),
            (["sim", "board", "--agent-packet=-1"], "--agent-packet must be 1–1048576 bytes (got -1)"),
            (["sim", "gadget", "--reset-gap-ms", "9223372036854775807"], "--reset-gap-ms must be 0–86400000 ms"),
            (["sim", "gadget", "--attach-ms=-1"], "--attach-ms must be 0–86400000 ms (got -1)"),
            (["sim", "gadget", "--board-number", "1000000"], "--board-number must be 0–999999 (got 1000000)"),
            (["verify", "--sim", "--soc", soc, "--attach-ms=-1"], "--attach-ms must be 0–86400000 ms (got -1)"),
            (["verify", "--sim", "--soc", soc, "--fault", "latency=-5"], "--fault latency must be 0–86400000 ms"),
        ] {
            let result = try ChildProcess.run("/usr/bin/timeout", ["60", ProvisionBinary.url.path] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("provision: ") && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
    }

    /// The issue's station proof: 8 boards, one pulled mid-flash, one without network, one whose
    /// AgentBoot NAKs a block once; the rest clean and as fast as in a run with no faulty board.
    @Test func eightBoardsWithMixedFaultsGetTheirOwnVerdictsAndTheCleanOnesAreNotSlowed() async throws {
        let (folder, soc, app) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        func station(_ faults: [String], batch: String) throws -> [String: (status: String, failure: String?, seconds: Double)] {
            let db = "sqlite:" + folder.appendingPathComponent("results.sqlite").path
            let result = try ProvisionBinary.run(["--soc", soc, app, "--simulate", "8", "--count", "8", "--db", db,
                                                  "--batch", batch, "--json"] + faults.flatMap { ["--sim-fault", $0] })
            #expect(result.status == (faults.isEmpty ? 0 : 1), "\(result.stderr)")
            let events = result.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            func time(_ e: [String: Any]) -> Date { formatter.date(from: e["at"] as? String ?? "") ?? .distantPast }
            let starts = Dictionary(events.filter { $0["event"] as? String == "run_started" }.map { ($0["run"] as? String ?? "", $0) },
                                    uniquingKeysWith: { a, _ in a })
            var verdicts: [String: (String, String?, Double)] = [:]
            for e in events where e["event"] as? String == "verdict" {
                let start = try #require(starts[e["run"] as? String ?? ""])
                verdicts[e["slot"] as? String ?? ""] = (e["status"] as? String ?? "", e["failure_class"] as? String,
                                                        time(e).timeIntervalSince(time(start)))
            }
            return verdicts
        }
        let baseline = try station([], batch: "clean")
        #expect(baseline.count == 8 && baseline.values.allSatisfy { $0.status == "pass" })
        let mixed = try station(["2=unplug-mid-flash", "3=no-network", "4=nak-block"], batch: "mixed")
        #expect(mixed.count == 8)
        #expect(mixed["99-2"]?.status == "fail" && mixed["99-2"]?.failure == "unplugged", "\(mixed)")
        #expect(mixed["99-3"]?.status == "fail" && mixed["99-3"]?.failure == "no_network_attach", "\(mixed)")
        #expect(mixed["99-4"]?.status == "pass", "the flasher's retry recovers a NAKed block: \(mixed)")
        let clean = ["99-1", "99-5", "99-6", "99-7", "99-8"]
        #expect(clean.allSatisfy { mixed[$0]?.status == "pass" }, "\(mixed)")
        // Unaffected: the clean boards take about as long as they do with no faulty neighbour.
        let mean = { (runs: [String: (status: String, failure: String?, seconds: Double)]) in
            clean.compactMap { runs[$0]?.seconds }.reduce(0, +) / Double(clean.count)
        }
        #expect(mean(mixed) < mean(baseline) * 1.5, "clean boards: \(mean(mixed)) s with faulty neighbours, \(mean(baseline)) s without")

        // The records say the same, phase by phase.
        let csvPath = folder.appendingPathComponent("mixed.csv").path
        let db = "sqlite:" + folder.appendingPathComponent("results.sqlite").path
        let report = try await ProvisionBinary.run(["report", "--db", db, "--batch", "mixed", "--format", "csv", "-o", csvPath])
        #expect(report.status == 0, "\(report.stderr)")
        let rows = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\r\n")
        #expect(rows.count == 9)
        #expect(rows.filter { $0.contains(",pass,") }.count == 6)
        #expect(rows.contains { $0.contains(",fail,unplugged,flash_full,") })
        #expect(rows.contains { $0.contains(",fail,no_network_attach,qa,") })
    }
}
