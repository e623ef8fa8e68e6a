import Foundation
import Records
import TestSupport
import Testing

/// A station whose webhook does not take its records keeps them in the store's outbox, says so
/// in one line, exits 4, and posts them at its next start; a hung collector does not hold the stop
/// beyond the drain limit.
@Suite(.serialized) struct WebhookOutboxCLITests {
    private static var webhookSink: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers/webhook/sink.py").path
    }

    /// The exit code `provision` documents for records left undelivered at stop.
    private static let undeliveredExit: Int32 = 4

    private func station(_ folder: URL, soc: String, app: String, db: String, webhook: String) throws
        -> ProvisionBinary.Result {
        try ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "1", "--count", "1", "--db", "sqlite:" + db, "--batch", "hook",
            "--station-id", "st-hook", "--webhook", webhook,
        ])
    }

    private func outbox(_ db: String) async throws -> [String] {
        let store = try await StoreURL.open(db)
        let runs = try await store.undeliveredRuns(stationID: "st-hook")
        await store.close()
        return runs
    }

    /// A sink on loopback; returns it with its port once it printed it.
    private func sink(_ folder: URL, out: String, count: Int, status: Int = 200) async throws -> (RunningChild, Int) {
        let sink = try RunningChild("/usr/bin/python3", [Self.webhookSink, out, "--count", "\(count)",
                                                         "--seconds", "120", "--status", "\(status)"],
                                    folder: folder.path)
        for _ in 0..<200 {
            if let port = Int(sink.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) { return (sink, port) }
            try await Task.sleep(for: .milliseconds(50))
        }
        sink.send(SIGTERM)
        throw ChildProcess.Failure("the webhook sink did not start: \(sink.stderr)")
    }

    private func notDeliveredLines(_ result: ProvisionBinary.Result) -> [Substring] {
        (result.stdout + result.stderr).split(separator: "\n").filter { $0.contains("not delivered") }
    }

    @Test func aHungCollectorKeepsTheRecordReportsItAndExits4ThenTheNextStartDeliversIt() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("results.sqlite").path

        let hung = try SilentListener()
        let start = ContinuousClock.now
        let first = try station(folder, soc: soc, app: app, db: db, webhook: "http://127.0.0.1:\(hung.port)/mes")
        let elapsed = ContinuousClock.now - start
        hung.close()
        #expect(first.status == Self.undeliveredExit, "stdout: \(first.stdout)\nstderr: \(first.stderr)")
        let lines = notDeliveredLines(first)
        #expect(lines.count == 1, "\(first.stdout)")
        #expect(lines.first?.contains("1 record(s) not delivered") == true)
        #expect(lines.first?.contains("outbox") == true && lines.first?.contains(db) == true, "names where: \(lines)")
        // One simulated board takes seconds; the hung collector may add the 10 s drain limit, not
        // the 3 × 5 s of its attempts' timeouts.
        #expect(elapsed < .seconds(60), "\(elapsed)")
        let kept = try await outbox(db)
        #expect(kept.count == 1)

        // The next start of the same station posts the kept record first, then its own.
        let posted = folder.appendingPathComponent("posted.jsonl").path
        let (sink, port) = try await self.sink(folder, out: posted, count: 2)
        defer { sink.send(SIGTERM) }
        let second = try station(folder, soc: soc, app: app, db: db, webhook: "http://127.0.0.1:\(port)/mes")
        #expect(second.status == 0, "stdout: \(second.stdout)\nstderr: \(second.stderr)")
        #expect(notDeliveredLines(second).isEmpty)
        #expect(sink.wait() == 0, "the sink did not get both records")
        let ids = try String(contentsOfFile: posted, encoding: .utf8).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["run_id"] as? String
        }
        #expect(ids.count == 2)
        #expect(ids.first == kept.first, "the kept record goes first: \(ids)")
        #expect(try await outbox(db).isEmpty)
    }

    @Test func aCollectorAnswering500KeepsTheRecordAndExits4() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("results.sqlite").path
        let posted = folder.appendingPathComponent("posted.jsonl").path
        let (sink, port) = try await self.sink(folder, out: posted, count: 1_000, status: 500)
        defer { sink.send(SIGTERM) }

        let result = try station(folder, soc: soc, app: app, db: db, webhook: "http://127.0.0.1:\(port)/mes")
        #expect(result.status == Self.undeliveredExit, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        let lines = notDeliveredLines(result)
        #expect(lines.count == 1, "\(result.stdout)")
        #expect(lines.first?.contains("HTTP 500") == true, "\(lines)")
        #expect(try await outbox(db).count == 1)
    }
}
