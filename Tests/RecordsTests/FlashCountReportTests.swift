import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Records
import Testing
import Vocabulary

/// Every format shows each board's flash NAKs and retries per step (full flash, script flash),
/// and says a split is unknown for a run that kept only totals.
@Suite struct FlashCountReportTests {
    /// `r1` (slot A1): full flash 2 NAKs / 3 retries over two attempts, script flash 1 NAK, CSQ 21.
    /// `r2` (slot A2): totals 4 / 1 but no per-step counts, as a run recorded before schema v6.
    private func runs() async throws -> [RunRecord] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try await StoreURL.open(folder.appendingPathComponent("r.sqlite").path)
        let t = Date(timeIntervalSince1970: 1_790_000_000)
        try await store.ensureBatch(BatchInfo(name: "b", createdAt: t))
        for (i, id) in ["r1", "r2"].enumerated() {
            try await store.startRun(RunStart(runID: id, batch: "b", stationID: "st", slotPath: "1-\(i + 1)",
                                              slotLabel: "A\(i + 1)", startedAt: t.addingTimeInterval(Double(i))))
        }
        func phase(_ name: String, _ outcome: String, _ naks: Int, _ retries: Int) -> PhaseRecord {
            PhaseRecord(name: name, startedAt: t, endedAt: t.addingTimeInterval(1), outcome: outcome,
                        flashNAKs: naks, flashRetries: retries)
        }
        try await store.recordPhase(runID: "r1", phase(StationStep.flashFull.rawValue, "fail", 2, 1))
        try await store.recordPhase(runID: "r1", phase(StationStep.flashFull.rawValue, "ok", 0, 2))
        try await store.recordVerdict(runID: "r1", VerdictRecord(sessionID: "5e55", csq: 21))
        try await store.recordPhase(runID: "r1", phase(StationStep.flashScript.rawValue, "ok", 1, 0))
        try await store.finishRun(RunFinish(runID: "r1", status: .pass, finishedAt: t.addingTimeInterval(9),
                                            flashNAKs: 3, flashRetries: 3))
        try await store.recordPhase(runID: "r2", phase(StationStep.flashFull.rawValue, "ok", 0, 0))
        try await store.finishRun(RunFinish(runID: "r2", status: .pass, finishedAt: t.addingTimeInterval(9),
                                            flashNAKs: 4, flashRetries: 1))
        let runs = try await store.runs(RunQuery(batch: "b"))
        await store.close()
        return runs
    }

    @Test func htmlShowsEachSlotsCountsPerFlashStep() async throws {
        let html = try ReportFormat.html.render(title: "b", runs: try await runs())
        #expect(html.contains("<th>full flash NAKs / retries</th><th>script flash NAKs / retries</th>"))
        let rows = html.components(separatedBy: "<tr><td>").dropFirst()
        let a1 = try #require(rows.first { $0.hasPrefix("A1<") })
        let a2 = try #require(rows.first { $0.hasPrefix("A2<") })
        #expect(a1.contains("<td class=\"naks\">3</td><td class=\"retries\">3</td>"))
        #expect(a1.contains("<td class=\"flash-full\">2 / 3</td><td class=\"flash-script\">1 / 0</td>"))
        #expect(a1.contains("<td class=\"csq\">21</td>"))
        #expect(a2.contains("<td class=\"naks\">4</td><td class=\"retries\">1</td>"))
        #expect(a2.contains("<td class=\"flash-full\">–</td><td class=\"flash-script\"></td>"))
    }

    @Test func csvCarriesTotalsAndPerStepColumns() async throws {
        let csv = try ReportFormat.csv.render(title: "b", runs: try await runs())
        let lines = csv.split(separator: "\r\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func cells(_ line: String) -> [String: String] {
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false)
                .map(String.init)))
        }
        let r1 = cells(lines[1]), r2 = cells(lines[2])
        #expect(r1["run_id"] == "r1" && r2["run_id"] == "r2")
        let columns = ["flash_naks", "flash_retries", "flash_full_naks", "flash_full_retries",
                       "flash_script_naks", "flash_script_retries", "csq", "qa_session_id"]
        #expect(columns.map { r1[$0] ?? "missing" } == ["3", "3", "2", "3", "1", "0", "21", "5e55"])
        #expect(columns.map { r2[$0] ?? "missing" } == ["4", "1", "", "", "", "", "", ""])
    }

    @Test func junitCarriesTheCountsAsPropertiesOfEachBoard() async throws {
        let text = try ReportFormat.junit.render(title: "b", runs: try await runs())
        let reader = PropertyReader()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = reader
        #expect(parser.parse(), "JUnit XML does not parse: \(String(describing: parser.parserError))")
        let a1 = try #require(reader.properties.first { $0.key.hasPrefix("board A1") }?.value)
        #expect(a1["flash_naks"] == "3" && a1["flash_retries"] == "3")
        #expect(a1["flash_full_naks"] == "2" && a1["flash_full_retries"] == "3")
        #expect(a1["flash_script_naks"] == "1" && a1["flash_script_retries"] == "0")
        #expect(a1["csq"] == "21")
        let a2 = try #require(reader.properties.first { $0.key.hasPrefix("board A2") }?.value)
        #expect(a2 == ["flash_naks": "4", "flash_retries": "1"])
    }
}

/// Collects each test case's properties by the test case's name.
private final class PropertyReader: NSObject, XMLParserDelegate {
    var properties: [String: [String: String]] = [:]
    private var current: String?
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "testcase":
            current = attributes["name"]
            if let current { properties[current] = [:] }
        case "property":
            if let current, let key = attributes["name"] { properties[current]?[key] = attributes["value"] }
        default: break
        }
    }
}
