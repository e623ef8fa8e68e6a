import Foundation
import Records
import Testing
import TestSupport

/// Two stations on one PostgreSQL store finishing runs of the same IMEI at the same moment (a
/// board moved between stations, or two stations' simulated boards): both verdicts are recorded.
/// The `boards` row used to be written by UPDATE + INSERT ... WHERE NOT EXISTS, which two
/// concurrent transactions both pass, so the second hit the primary key and its run was not
/// recorded ("cannot record" on the station, its board counted interrupted).
@Suite(.serialized) struct SharedBoardRowTests {
    @Test func twoStationsFinishingOneIMEIAtOnceBothRecord() async throws {
        try await PostgresServer.withServerURL("SharedBoardRowTests") { url in
            let (east, west) = (try await StoreURL.open(url), try await StoreURL.open(url))
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            try await east.ensureBatch(BatchInfo(name: "line", operatorID: nil, workOrder: nil, profile: "air780e",
                                                 createdAt: t0))
            let pairs = 40
            for (store, station) in [(east, "east"), (west, "west")] {
                for i in 0..<pairs {
                    try await store.startRun(RunStart(runID: "\(station)-\(i)", batch: "line", stationID: station,
                                                      slotPath: "99-1", slotLabel: "slot1", firmwareSHA256: "f",
                                                      scriptSHA256: "s", startedAt: t0))
                }
            }
            // Each pair finishes one fresh IMEI from both stations at once.
            var failures: [String] = []
            for i in 0..<pairs {
                let imei = String(format: "8600000%08d", i)
                async let a: String? = Self.finish(east, "east-\(i)", imei: imei, at: t0)
                async let b: String? = Self.finish(west, "west-\(i)", imei: imei, at: t0.addingTimeInterval(1))
                failures += [await a, await b].compactMap { $0 }
            }
            let refused = failures.count
            #expect(refused == 0, "finishes refused: \(failures.prefix(2))")
            let runs = try await east.runs(RunQuery(batch: "line"))
            #expect(runs.count == 2 * pairs && runs.allSatisfy { $0.status == .pass })
            await east.close()
            await west.close()
        }
    }

    private static func finish(_ store: SQLResultsStore, _ runID: String, imei: String, at: Date) async -> String? {
        do {
            try await store.finishRun(RunFinish(runID: runID, status: .pass, failureClass: nil, failurePhase: nil,
                                                detail: nil, imei: imei, iccid: "8986" + imei.suffix(4), finishedAt: at))
            return nil
        } catch {
            return "\(runID): \(error)"
        }
    }
}
