import Foundation
import TestSupport
import Testing

/// On a terminal the station keeps one live line per slot (label, phase, progress bar, elapsed
/// time, last result), redrawn in place, with notes above them. tmux gives it a real terminal.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"),
                             "tmux is not installed (apt-get install tmux)"))
struct StationLiveDisplayTests {
    private func tmux(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run("/usr/bin/tmux", arguments)
    }

    @Test func oneLiveLinePerSlotWithPhaseBarElapsedAndLastResult() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine(app: "log.info('app', 'up')\n", socName: "t.soc")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = "provision-live-\(UUID().uuidString.prefix(8))"
        let done = folder.appendingPathComponent("exit-code").path
        // The station runs in the pane; the shell keeps the pane open after it exits.
        let go = folder.appendingPathComponent("go").path
        let raw = folder.appendingPathComponent("pane.raw").path
        // The station starts once everything the pane prints is also being copied to `raw`.
        let command = "while [ ! -f '\(go)' ]; do sleep 0.05; done; "
            + "'\(ProvisionBinary.url.path)' --soc '\(soc)' '\(app)' --simulate 3 --count 3 --sim-timing realistic "
            + "--sim-fault 2=no-network --db 'sqlite:\(folder.path)/r.sqlite' --batch live; "
            + "echo $? > '\(done)'; sleep 600"
        let started = try tmux(["new-session", "-d", "-s", session, "-x", "132", "-y", "30", command])
        try #require(started.status == 0, "\(started.stderr)")
        defer { _ = try? tmux(["kill-session", "-t", session]) }
        try #require(try tmux(["pipe-pane", "-o", "-t", session, "cat >> '\(raw)'"]).status == 0)
        _ = FileManager.default.createFile(atPath: go, contents: nil)

        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline && !FileManager.default.fileExists(atPath: done) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let screen = try tmux(["capture-pane", "-p", "-t", session]).stdout
        // Every redraw went through the pane: some showed a slot mid-flash with a partly filled bar.
        let stream = (try? String(contentsOfFile: raw, encoding: .utf8)) ?? ""
        let sawProgress = stream.range(of: #"flash_(full|script)( [A-Za-z]+)? +\[#+\.+\]"#, options: .regularExpression) != nil
        let code = try String(contentsOfFile: done, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(code == "1", "board 2 fails, so the station exits 1:\n\(screen)")

        let lines = screen.split(separator: "\n").map(String.init)
        let slotLines = lines.filter { $0.hasPrefix("slot") }
        // One line per slot, redrawn in place — not one line per event.
        #expect(slotLines.count == 3, "\(screen)")
        for label in ["slot1", "slot2", "slot3"] {
            let line = try #require(slotLines.first { $0.hasPrefix(label) }, "\(screen)")
            #expect(line.contains("done"), "\(line)")
            #expect(line.contains("[") && line.contains("]"), "\(line)")
            #expect(line.range(of: #"\d+\.\ds"#, options: .regularExpression) != nil, "elapsed: \(line)")
        }
        #expect(slotLines.first { $0.hasPrefix("slot2") }?.contains("FAIL no_network_attach") == true, "\(screen)")
        #expect(slotLines.first { $0.hasPrefix("slot1") }?.contains("PASS") == true, "\(screen)")
        // Notes stay above the slot lines.
        let summary = try #require(lines.firstIndex { $0.hasPrefix("done: ") }, "\(screen)")
        #expect(lines.firstIndex { $0.hasPrefix("station ") }! < lines.firstIndex { $0.hasPrefix("slot") }!)
        #expect(summary < lines.firstIndex { $0.hasPrefix("slot") }!, "\(screen)")
        #expect(sawProgress, "no partly filled progress bar was ever drawn (\(stream.utf8.count) bytes seen)")
    }
}
