import Foundation
import Testing
import Records
import TestSupport

/// Runs the built `provision` executable, as users do, for exit-code and output tests.
enum ProvisionBinary {
    static var url: URL { ProvisionExecutable.url }

    typealias Result = ChildProcess.Result

    /// Runs `provision` with `arguments` in `directory` and waits for it.
    static func run(_ arguments: [String], in directory: URL? = nil,
                    environment: [String: String]? = nil) throws -> Result {
        try ChildProcess.run(url.path, arguments, directory: directory?.path, environment: environment ?? [:])
    }

    /// The same, waited for on a Dispatch thread: an async test waiting for a station does not
    /// hold one of Swift concurrency's few pool threads (two on a 2-core machine). Two long
    /// stations waited for on the pool (the soak and another) once starved every other test's
    /// awaits for five minutes. In an async test this overload is the one chosen.
    static func run(_ arguments: [String], in directory: URL? = nil,
                    environment: [String: String]? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result {
                    try ChildProcess.run(url.path, arguments, directory: directory?.path, environment: environment ?? [:])
                })
            }
        }
    }

    /// Polls the store at `db` (a path) until `condition` holds for its runs (or records an
    /// issue after `limit`).
    static func waitForRuns(_ db: String, within limit: Duration = .seconds(120),
                             _ condition: ([RunRecord]) -> Bool) async throws -> [RunRecord] {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: db) {
                let store = try await StoreURL.open(db)
                let runs = try await store.runs(RunQuery())
                await store.close()
                if condition(runs) { return runs }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the store never reached the expected state within \(limit)")
        return []
    }

    /// The JSON events a `--json` station printed, in order; `named` keeps one kind of event.
    static func events(_ stdout: String, named: String? = nil) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { named == nil || $0["event"] as? String == named }
    }

    /// Each slot label's (last) verdict event.
    static func verdictsByLabel(_ stdout: String) -> [String: [String: Any]] {
        Dictionary(events(stdout, named: "verdict").map { ($0["label"] as? String ?? "", $0) },
                   uniquingKeysWith: { _, last in last })
    }

    /// What a `--json` station said about boards that did not pass (failed steps and checks,
    /// verdicts other than pass, notes), one line each: the message of a test whose station
    /// exited other than expected.
    static func failures(_ stdout: String) -> String {
        stdout.split(separator: "\n").filter { line in
            line.contains("\"outcome\":\"fail") || line.contains("\"event\":\"note")
                || (line.contains("\"event\":\"verdict") && !line.contains("\"status\":\"pass"))
        }.joined(separator: "\n")
    }

    /// An app that runs forever, logging: passes every boot check.
    static let aliveApp = """
        local sys = require("sys")
        sys.taskInit(function() while true do log.info("app", "alive") sys.wait(200) end end)
        sys.run()
        """

    /// What a station test needs: a fresh folder with a small synthetic `.soc` (named `socName`)
    /// and `main.lua` holding `app`. The caller removes the folder.
    static func stationLine(app: String = aliveApp, socName: String = "LuatOS-SoC_V1112_EC618_FULL.soc") throws
        -> (folder: URL, soc: String, app: String) {
        let folder = try temporaryFolder()
        let soc = folder.appendingPathComponent(socName).path
        let made = try run(["sim", "make-soc", soc, "--size", "small"])
        guard made.status == 0 else { throw ChildProcess.Failure("make-soc failed: \(made.stderr)") }
        let main = folder.appendingPathComponent("main.lua").path
        try Data(app.utf8).write(to: URL(fileURLWithPath: main))
        return (folder, soc, main)
    }

    /// The shipped air780e profile with the flow that flashes the app only and signs the board off
    /// by its own log (`app_log`), a window of `appLogMs`, and `expectations` (JSON text) beside
    /// it in `folder`; returns the profile's path.
    static func appLogProfile(in folder: URL, expectations: String, appLogMs: Int) throws -> String {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles/air780e.toml")
        var profile = try String(contentsOf: shipped, encoding: .utf8)
        guard let start = profile.range(of: "\nflow = ["),
              let end = profile.range(of: "]", range: start.upperBound..<profile.endIndex) else {
            throw ChildProcess.Failure("profiles/air780e.toml has no flow = [...]")
        }
        profile.replaceSubrange(start.lowerBound..<end.upperBound,
                                with: "\n" + #"flow = ["enter_download_mode", "flash_script", "wait_running", "app_log"]"#)
        profile = profile.replacingOccurrences(of: "app_log_ms = 60000", with: "app_log_ms = \(appLogMs)")
        profile = profile.replacingOccurrences(of: #"app_log = "air780e/qa/app-log.json""#, with: #"app_log = "app-log.json""#)
        let path = folder.appendingPathComponent("app-log-flow.toml").path
        try Data(profile.utf8).write(to: URL(fileURLWithPath: path))
        try Data(expectations.utf8).write(to: folder.appendingPathComponent("app-log.json"))
        return path
    }

    /// A fresh temporary folder for one test.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("provision-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
