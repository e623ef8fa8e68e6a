import Foundation
import Records
import TestSupport
import Testing

/// The station as a production line sets it up: a station.toml naming the store, the report
/// folder and formats and an MES webhook; simulated boards on pseudo-terminals driven by the
/// real-board driver (boot entry on x.2, QA report on x.6, boot check on x.2).
@Suite(.serialized) struct StationConfigCLITests {
    private static var webhookSink: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers/webhook/sink.py").path
    }

    private func line(app: String) throws -> (folder: URL, soc: String, app: String) {
        try ProvisionBinary.stationLine(app: app, socName: "t.soc")
    }

    @Test func stationTomlStoreReportsAndWebhookOnBoardsDrivenLikeRealOnes() async throws {
        let (folder, soc, app) = try line(app: ProvisionBinary.aliveApp)
        defer { try? FileManager.default.removeItem(at: folder) }

        // The MES: a receiver on loopback that prints its port first.
        let posted = folder.appendingPathComponent("posted.jsonl").path
        let sink = try RunningChild("/usr/bin/python3", [Self.webhookSink, posted, "--count", "3", "--seconds", "120"],
                                    folder: folder.path)
        defer { sink.send(SIGTERM) }
        var port = ""
        for _ in 0..<100 where port.isEmpty {
            port = sink.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if port.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(Int(port) != nil, "the webhook sink did not start: \(sink.stderr)")

        let reports = folder.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        let db = folder.appendingPathComponent("line3.sqlite").path
        let toml = folder.appendingPathComponent("station.toml").path
        try Data("""
            [station]
            id = "line3-st2"
            store = "sqlite:\(db)"
            report_folder = "\(reports.path)"
            report_formats = ["html", "junit", "csv"]
            webhook = "http://127.0.0.1:\(port)/mes/boards"
            """.utf8).write(to: URL(fileURLWithPath: toml))

        let result = try await ProvisionBinary.run([
            "--soc", soc, app, "--station", toml, "--batch", "wo-17", "--simulate", "3", "--sim-bus", "pty",
            "--sim-fault", "2=unplug-mid-flash", "--sim-fault", "3=no-network", "--json",
        ])
        #expect(result.status == 1, "two boards fail: \(result.stderr)")
        let verdicts = ProvisionBinary.events(result.stdout, named: "verdict")
        let byLabel = ProvisionBinary.verdictsByLabel(result.stdout)
        #expect(byLabel["slot1"]?["status"] as? String == "pass", "\(verdicts)")
        #expect(byLabel["slot2"]?["failure_class"] as? String == "unplugged", "\(verdicts)")
        #expect(byLabel["slot3"]?["failure_class"] as? String == "no_network_attach", "\(verdicts)")

        // The store named in station.toml holds the records, under the station's id.
        let store = try await StoreURL.open(db)
        let runs = try await store.runs(RunQuery(batch: "wo-17"))
        await store.close()
        #expect(runs.count == 3)
        #expect(runs.allSatisfy { $0.stationID == "line3-st2" })
        let passed = try #require(runs.first { $0.status == .pass })
        #expect(passed.phases.map(\.name) == ["enter_download_mode", "flash_full", "wait_running", "qa",
                                              "enter_download_mode", "flash_script", "wait_running", "boot_check"])
        #expect(passed.imei != nil)
        // The https check ran against the station's own (self-signed) certificate.
        #expect(passed.checks.contains { $0.name == "https" && $0.passed }, "\(passed.checks.map(\.name))")

        // Every board's final record reached the MES.
        #expect(sink.wait() == 0, "the webhook sink did not get 3 posts")
        let bodies = try String(contentsOfFile: posted, encoding: .utf8).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(Set(bodies.compactMap { $0["run_id"] as? String }) == Set(runs.map(\.runID)))
        #expect(bodies.allSatisfy { $0["station_id"] as? String == "line3-st2" && $0["batch"] as? String == "wo-17" })

        // And the reports were written when the station stopped.
        let written = try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted()
        #expect(written == ["wo-17.csv", "wo-17.html", "wo-17.junit.xml"])
        let csv = try String(contentsOfFile: reports.appendingPathComponent("wo-17.csv").path, encoding: .utf8)
        #expect(csv.split(separator: "\r\n").count == 4)
    }

    /// A shorter flow is a profile change: flash the app only and sign the board off by the app's
    /// own log lines (`app_log`), on both simulated buses.
    @Test(arguments: ["memory", "pty"])
    func aProfileFlowThatFlashesTheAppAndJudgesItsOwnLog(bus: String) async throws {
        // Like the official HTTP demo: the app logs `http.get <status>`. Board 2's request times out.
        let (folder, soc, app) = try line(app: """
            local sys = require("sys")
            sys.taskInit(function()
                sys.wait(100)
                local imei = mobile.imei()
                if imei:sub(-2, -2) == "2" then log.info("http.get", -8) else log.info("http.get", 200, "ok") end
            end)
            sys.run()
            """)
        defer { try? FileManager.default.removeItem(at: folder) }
        let profilePath = try ProvisionBinary.appLogProfile(in: folder, expectations: #"[{"tag": "http.get", "expect_code": 200}]"#,
                                                            appLogMs: 3000)

        let db = folder.appendingPathComponent("r.sqlite").path
        let result = try await ProvisionBinary.run([
            "--soc", soc, app, "--profile", profilePath, "--simulate", "2", "--sim-bus", bus,
            "--db", "sqlite:" + db, "--batch", "short", "--json",
        ])
        #expect(result.status == 1, "board 2 fails: \(result.stderr)")
        let verdicts = ProvisionBinary.events(result.stdout, named: "verdict")
        let byLabel = ProvisionBinary.verdictsByLabel(result.stdout)
        #expect(byLabel["slot1"]?["status"] as? String == "pass", "\(verdicts) \(result.stderr)")
        #expect(byLabel["slot2"]?["failure_class"] as? String == "timeout", "\(verdicts)")
        #expect(byLabel["slot2"]?["step"] as? String == "app_log", "\(verdicts)")
        let steps = ProvisionBinary.events(result.stdout, named: "step_started")
            .filter { $0["label"] as? String == "slot1" }.compactMap { $0["step"] as? String }
        #expect(steps == ["enter_download_mode", "flash_script", "wait_running", "app_log"])

        // A flow with app_log needs its expectations file.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("app-log.json"))
        let refused = try await ProvisionBinary.run(["--soc", soc, app, "--profile", profilePath, "--simulate", "1", "--dry-run"])
        #expect(refused.status == 2 && refused.stderr.contains("app-log.json"), "\(refused.stderr)")
    }

    /// An app that resets its board during the boot check is `app_rebooted`, not a board pulled
    /// from its slot: the real-board driver sees the port drop and the board come straight back.
    @Test func anAppThatResetsItsBoardIsRebootedNotUnplugged() async throws {
        let (folder, soc, app) = try line(app: """
            local sys = require("sys")
            sys.taskInit(function() sys.wait(100) rtos.reboot() end)
            sys.run()
            """)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "1", "--sim-bus", "pty",
            "--db", "sqlite:" + folder.appendingPathComponent("r.sqlite").path, "--json",
        ])
        #expect(result.status == 1, "\(result.stderr)")
        let verdict = ProvisionBinary.verdictsByLabel(result.stdout)["slot1"]
        #expect(verdict?["failure_class"] as? String == "app_rebooted", "\(String(describing: verdict))")
        #expect(verdict?["step"] as? String == "boot_check")
    }
}
