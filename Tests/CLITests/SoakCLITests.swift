import Foundation
import Testing
import Vocabulary

/// A short soak (scripts/soak runs the long one): simulated boards on the pty bus, each given a
/// fault drawn by `--sim-faults random:SEED:RATE`. Every board is recorded exactly once, with the
/// verdict `provision sim faults` lists for its fault, and a fault a retry recovers leaves NAKs or
/// retries on the record.
@Suite struct SoakCLITests {
    static let boards = 60
    static let slots = 8
    /// Draws, among its 60 boards, download-session, board and 4G-link faults alike.
    static let plan = "random:7:0.5"

    @Test(.timeLimit(.minutes(20)))
    func everyBoardIsRecordedOnceWithTheVerdictItsFaultImplies() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = "sqlite:" + folder.appendingPathComponent("soak.sqlite").path
        let station = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", String(Self.slots), "--count", String(Self.boards), "--sim-bus", "pty",
            "--sim-faults", Self.plan, "--verify", "--db", db, "--batch", "soak", "--json",
        ])
        #expect(station.status == 1, "faulty boards fail, the station does not: \(station.stderr)")

        // The listing covers any board a slot can reach (slot k's i-th board is k + i × slots).
        let listing = try await ProvisionBinary.run(["sim", "faults", "--soc", soc, Self.plan,
                                               "--boards", String(Self.boards * Self.slots), "--verify"])
        #expect(listing.status == 0, "\(listing.stderr)")
        var expected: [Int: [String: Any]] = [:]
        for line in listing.stdout.split(separator: "\n") {
            let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            expected[try #require(entry["board"] as? Int)] = entry
        }
        let drawnKinds = Set((1...Self.boards).compactMap { expected[$0]?["kind"] as? String }.map { $0.prefix { $0 != ":" } })
        #expect(drawnKinds == ["session", "board", "network"], "the plan draws from all three: \(drawnKinds)")

        let csvPath = folder.appendingPathComponent("soak.csv").path
        let report = try await ProvisionBinary.run(["report", "--db", db, "--batch", "soak", "--format", "csv", "-o", csvPath])
        #expect(report.status == 0, "\(report.stderr)")
        let lines = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\r\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "no column \(name)") }
        let (slotCol, imeiCol, statusCol, classCol) = (try column("slot_path"), try column("imei"), try column("status"),
                                                        try column("failure_class"))
        let (naksCol, retriesCol) = (try column("flash_naks"), try column("flash_retries"))
        // No field of these rows is quoted (no comma in a slot path, an IMEI, a class or a number).
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == Self.boards, "one record per board")

        var seen = Set<Int>()
        var byClass: [String: Int] = [:]
        for (path, slotRows) in Dictionary(grouping: rows, by: { $0[slotCol] }) {
            let slot = try #require(Int(path.split(separator: "-").last ?? ""))
            // Rows come in start order; a slot's i-th run is the operator's i-th board for it.
            for (i, row) in slotRows.enumerated() {
                let board = slot + i * Self.slots
                #expect(seen.insert(board).inserted, "board \(board) recorded twice")
                let imei = row[imeiCol]
                // A simulated board's IMEI: TAC 86201106, its number as the serial, the Luhn digit.
                #expect(imei.isEmpty || imei == IMEI.completing("86201106" + String(format: "%06d", board % 1_000_000)),
                        "\(path) run \(i + 1) is board \(board), but recorded IMEI \(imei)")
                let want = try #require(expected[board])
                let fault = want["fault"] as? String ?? "no fault"
                #expect(row[statusCol] == want["status"] as? String && row[classCol] == (want["failure_class"] as? String ?? ""),
                        "board \(board) (\(fault)): \(row[statusCol]) \(row[classCol]), expected \(want["status"] ?? "") \(want["failure_class"] ?? "")")
                if want["repeats"] as? Bool == true {
                    #expect((Int(row[naksCol]) ?? 0) + (Int(row[retriesCol]) ?? 0) > 0,
                            "board \(board) (\(fault)) was recovered by a retry, which the record must show")
                }
                byClass[row[classCol].isEmpty ? row[statusCol] : row[classCol], default: 0] += 1
            }
        }
        #expect(byClass.count >= 4, "faults of several classes were drawn and recorded: \(byClass)")
    }

    @Test func aBadRandomPlanIsRefusedInOneLine() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (plan, reason) in [("random:7", "expected random:SEED:RATE"), ("random:-1:0.5", "seed '-1'"),
                               ("random:7:1.5", "rate '1.5'"), ("chaos:7:0.5", "expected random:SEED:RATE")] {
            let result = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "2", "--sim-faults", plan, "--dry-run"])
            #expect(result.status == 2, "\(plan): \(result.stderr)")
            #expect(result.stderr.contains("--sim-faults \(plan): \(reason)"), "\(plan): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(plan): \(result.stderr)")
        }
        let both = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "2", "--sim-faults", "random:1:0.5",
                                            "--sim-fault", "1=nak-block", "--dry-run"])
        #expect(both.status == 2 && both.stderr.contains("give one or the other"), "\(both.stderr)")
    }
}
