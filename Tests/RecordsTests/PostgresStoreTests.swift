import Foundation
@testable import Records
import Testing
import TestSupport

/// The same batch through a real PostgreSQL server on loopback gives the same records and the
/// same reports as SQLite. CI installs the server (apt `postgresql`); elsewhere the suite says
/// why it did not run.
@Suite(.serialized) struct PostgresStoreTests {
    static let available = PostgresServer.binFolder != nil
    static let requiredInCI = ProcessInfo.processInfo.environment["CI"] != nil

    @Test func postgresAndSQLiteGiveTheSameReports() async throws {
        guard Self.available else {
            #expect(!Self.requiredInCI, "CI must install PostgreSQL (apt-get install postgresql)")
            print("PostgresStoreTests skipped: PostgreSQL server binaries are not installed")
            return
        }
        let server = try PostgresServer()
        defer { server.stop() }

        let pg = try await StoreURL.open(server.url)
        #expect(try await pg.schemaVersion() == Schema.latestVersion)
        try await pg.migrate()   // a second station starting against the same store
        try await SampleBatch.write(to: pg)
        #expect(try await pg.markInterruptedRuns(stationID: "st-1", at: SampleBatch.t0.addingTimeInterval(300)) == 1)
        let pgRuns = try await pg.runs(RunQuery(batch: SampleBatch.batch.name))
        await pg.close()

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-vs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let lite = try await StoreURL.open(folder.appendingPathComponent("r.sqlite").path)
        try await SampleBatch.write(to: lite)
        _ = try await lite.markInterruptedRuns(stationID: "st-1", at: SampleBatch.t0.addingTimeInterval(300))
        let liteRuns = try await lite.runs(RunQuery(batch: SampleBatch.batch.name))
        await lite.close()

        #expect(pgRuns.count == 5)
        #expect(pgRuns == liteRuns)
        let when = SampleBatch.t0
        for format in ReportFormat.allCases {
            let a = try format.render(title: "WO-42", runs: pgRuns, generatedAt: when)
            let b = try format.render(title: "WO-42", runs: liteRuns, generatedAt: when)
            #expect(a == b, "\(format) report differs between PostgreSQL and SQLite")
        }
    }

    @Test func unreachableServerIsAClearError() async throws {
        let error = await #expect(throws: RecordsError.self) {
            try await StoreURL.open("postgres://provision@127.0.0.1:1/postgres?connect_timeout=2")
        }
        #expect(error?.store.hasPrefix("postgres://provision@127.0.0.1:1/postgres") == true)
    }
}
