import Foundation
import Records
import TestSupport
import Testing

/// The station's console in a real browser: a station on simulated boards with `--console`, and
/// headless Chromium driven by Selenium (scripts/check-console-browser) watching the tiles go
/// through their states, holding and releasing a slot, opening a board's page, and stopping the
/// station taking boards. Needs Debian's chromium, chromium-driver and python3-selenium.
@Suite(.serialized, .enabled(if: BrowserParts.missing == nil, "\(BrowserParts.missing ?? "")"))
struct ConsoleBrowserCLITests {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Where the screenshot goes: $CONSOLE_SCREENSHOT, else .build/console-screenshot.png.
    static var screenshot: String {
        ProcessInfo.processInfo.environment["CONSOLE_SCREENSHOT"]
            ?? checkout.appendingPathComponent(".build/console-screenshot.png").path
    }

    /// Waits (up to `limit`) for the child to print the console's URL; nil if it ended first.
    static func consoleURL(of child: RunningChild, limit: Duration = .seconds(120)) async throws -> String? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let line = child.stdout.split(separator: "\n").first(where: { $0.hasPrefix("console: http://") }) {
                return String(line.dropFirst("console: ".count).split(separator: " ")[0])
            }
            if kill(child.pid, 0) != 0 || child.stderr.contains("provision: ") { return nil }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Every other board of slot 2 (slot k takes boards k, k + 3, …) has no 4G: on a busy machine
    /// the page may open after a dozen boards, and must still see a FAIL live and link its page.
    static let slot2Faults = stride(from: 2, through: 98, by: 6).flatMap { ["--sim-fault", "\($0)=no-network"] }

    @Test func tilesGoLiveHoldStopsASlotAndTheStationStopsTakingBoards() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = "sqlite:" + folder.appendingPathComponent("results.sqlite").path
        let station = try RunningChild(ProvisionBinary.url.path, [
            "--soc", soc, app, "--simulate", "3", "--count", "100", "--db", db, "--batch", "console",
            "--console", "127.0.0.1:0", "--console-token", "tok-123",
        ] + Self.slot2Faults, folder: folder.path)
        let url = try await Self.consoleURL(of: station)
        guard let url else {
            station.send(SIGTERM)
            _ = station.wait()
            Issue.record("the station printed no console URL: \(station.stdout)\n\(station.stderr)")
            return
        }
        let browser = try ChildProcess.run("/usr/bin/python3", [
            Self.checkout.appendingPathComponent("scripts/check-console-browser").path, url, "tok-123",
            "--slots", "3", "--hold", "99-3", "--fault", "99-2=no_network_attach", "--screenshot", Self.screenshot,
        ])
        print("check-console-browser:\n\(browser.stdout)\n\(browser.stderr)")
        #expect(browser.status == 0, "\(browser.stdout)\n\(browser.stderr)")
        if browser.status != 0 { station.send(SIGTERM) }
        // "Stop taking boards": the station ends by itself once the boards in flight are decided.
        let status = station.wait()
        #expect(status == 1, "a failed board, no undelivered record: \(station.stderr)")
        #expect(station.stdout.contains("the operator stopped taking boards"))
        #expect((try? FileManager.default.attributesOfItem(atPath: Self.screenshot)[.size] as? Int) ?? 0 > 1000)

        let store = try await StoreURL.open(db)
        let runs = try await store.runs(RunQuery(batch: "console"))
        await store.close()
        let bySlot = Dictionary(grouping: runs, by: \.slotPath)
        // The hold, as the store saw it: between the end of the board the hold let finish and the
        // start of the slot's next board (after the release), slots 1 and 2 each decided a board.
        let report = try? JSONSerialization.jsonObject(with: Data(browser.stdout.utf8)) as? [String: Any]
        let atHold = try #require((report?["held_slot"] as? [String: Any])?["boards_at_hold"] as? Int,
                                  "the browser's report names the held slot's boards at the hold")
        let held = (bySlot["99-3"] ?? []).sorted { $0.startedAt < $1.startedAt }
        try #require(held.count > atHold, "the board at the hold, then at least one after the release")
        let heldEnd = try #require(held[atHold - 1].finishedAt)
        let nextStart = held[atHold].startedAt
        for slot in ["99-1", "99-2"] {
            let decided = (bySlot[slot] ?? []).compactMap(\.finishedAt).filter { $0 > heldEnd && $0 <= nextStart }
            #expect(!decided.isEmpty, "\(slot) decided no board while slot 3 was held")
        }
        let firstOfSlot2 = bySlot["99-2"]?.min { $0.startedAt < $1.startedAt }
        #expect(firstOfSlot2?.failureClass?.rawValue == "no_network_attach")
        #expect(runs.allSatisfy { $0.status != .running }, "every board taken was decided before the station ended")
    }
}

/// What driving a browser needs (Debian's packages).
enum BrowserParts {
    /// What is missing, as the apt-get line that installs it; nil when nothing is.
    static var missing: String? {
        let parts = [("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromium-driver"),
                     ("/usr/lib/python3/dist-packages/selenium", "python3-selenium")]
        let absent = parts.filter { !FileManager.default.fileExists(atPath: $0.0) }.map(\.1)
        return absent.isEmpty ? nil : "headless Chromium cannot be driven: apt-get install " + absent.joined(separator: " ")
    }
}
