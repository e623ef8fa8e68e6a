import Foundation
@testable import Records
import Testing
import TestSupport
import Vocabulary

/// The webhook outbox: a record meant for the webhook is queued in the same commit as its
/// verdict, per station id, in order, and leaves only when delivered — on SQLite and PostgreSQL.
@Suite(.serialized) struct WebhookOutboxTests {
    private static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    /// Writes two stations' runs and walks the outbox through queue → read → deliver.
    static func exercise(_ store: SQLResultsStore) async throws {
        try await store.ensureBatch(BatchInfo(name: "b1", createdAt: t0))
        for (n, station) in [(1, "st-a"), (2, "st-a"), (3, "st-b"), (4, "st-a")] {
            try await store.startRun(RunStart(runID: "r\(n)", batch: "b1", stationID: station, slotPath: "1-1.\(n)",
                                              slotLabel: "A\(n)", startedAt: t0))
        }
        // r4 finishes first; r2 is not meant for a webhook (none was set when it finished).
        try await store.finishRun(RunFinish(runID: "r4", status: .pass, finishedAt: t0 + 1, queueForDelivery: true))
        try await store.finishRun(RunFinish(runID: "r1", status: .fail, failureClass: .unplugged,
                                            finishedAt: t0 + 2, queueForDelivery: true))
        try await store.finishRun(RunFinish(runID: "r2", status: .pass, finishedAt: t0 + 3))
        try await store.finishRun(RunFinish(runID: "r3", status: .pass, finishedAt: t0 + 4, queueForDelivery: true))
        // A finish written again (a retry after a lost answer) queues the run once.
        try await store.finishRun(RunFinish(runID: "r1", status: .fail, failureClass: .unplugged,
                                            finishedAt: t0 + 5, queueForDelivery: true))

        #expect(try await store.undeliveredRuns(stationID: "st-a") == ["r4", "r1"], "oldest verdict first")
        #expect(try await store.undeliveredRuns(stationID: "st-b") == ["r3"])
        try await store.markDelivered(runID: "r4")
        try await store.markDelivered(runID: "r4")   // delivered twice (at least once): harmless
        #expect(try await store.undeliveredRuns(stationID: "st-a") == ["r1"])
        #expect(try await store.runs(RunQuery(runID: "r4")).first?.status == .pass, "delivery keeps the record")
    }

    @Test func sqliteOutboxQueuesWithTheVerdictAndEmptiesOnDelivery() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("r.sqlite").path
        let store = try await StoreURL.open("sqlite:\(path)")
        try await Self.exercise(store)
        await store.close()
        // Kept across a restart (a new process opening the file).
        let again = try await StoreURL.open(path)
        #expect(try await again.undeliveredRuns(stationID: "st-a") == ["r1"])
        await again.close()
    }

    @Test func postgresOutboxQueuesWithTheVerdictAndEmptiesOnDelivery() async throws {
        try await PostgresServer.withStore("WebhookOutboxTests") { try await Self.exercise($0) }
    }
}
