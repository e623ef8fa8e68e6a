import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Records
import Testing
import Vocabulary

@Suite struct ReportTests {
    private func sampleRuns() async throws -> [RunRecord] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try await StoreURL.open(folder.appendingPathComponent("r.sqlite").path)
        try await SampleBatch.write(to: store)
        _ = try await store.markInterruptedRuns(stationID: "st-1", at: SampleBatch.t0.addingTimeInterval(300))
        let runs = try await store.runs(RunQuery(batch: SampleBatch.batch.name))
        await store.close()
        return runs
    }

    @Test func summaryCountsRatesAndRanksFailures() async throws {
        let runs = try await sampleRuns()
        let s = BatchSummary(title: "t", runs: runs)
        #expect((s.runs, s.passed, s.failed, s.interrupted) == (5, 3, 1, 1))
        #expect(s.passRate == 0.75)
        // 4 decided boards between the first start (t0) and the last finish (A3: t0 + 40 + 30.2 + 61 s);
        // the interrupted run's later "finish" does not count.
        let hours = (40 + 30.2 + 61) / 3600
        #expect(abs((s.boardsPerHour ?? 0) - 4 / hours) < 0.01)
        #expect(s.failureClasses.map(\.failureClass) == [.contentMismatch, .interrupted])
        let flash = try #require(s.phaseTimings.first { $0.phase == "flash_full" })
        #expect(flash.count == 5)
        #expect(flash.min == 12)
        #expect(abs(flash.p50 - 30.2) < 0.001)
        #expect(abs(flash.max - 33.1) < 0.001)
    }

    @Test func csvHasOneQuotedRowPerBoard() async throws {
        let csv = try ReportFormat.csv.render(title: "t", runs: try await sampleRuns())
        let lines = csv.split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(lines.count == 6)
        #expect(lines[0].hasPrefix("run_id,batch,station,slot_label"))
        #expect(lines[0].hasSuffix("phase_flash_full_s,phase_qa_s"))
        #expect(lines[1].contains(",\"WO-42, \"\"night\"\"\","))   // RFC 4180 quoting of the batch name
        #expect(lines[3].contains(",fail,content_mismatch,qa,"))
        #expect(lines[5].contains(",interrupted,interrupted,"))
        #expect(lines[1].hasSuffix(",31.500,40.000"))
    }

    @Test func junitParsesWithOneCasePerBoardAndCheck() async throws {
        let runs = try await sampleRuns()
        let xmlText = try ReportFormat.junit.render(title: "WO-42", runs: runs)
        let counter = XMLCounter()
        let parser = XMLParser(data: Data(xmlText.utf8))
        parser.delegate = counter
        #expect(parser.parse(), "JUnit XML does not parse: \(String(describing: parser.parserError))")
        #expect(counter.testcases == 5 + 8)   // five boards, two checks on each of four
        #expect(counter.failures == 2)       // the failed board and its failed check
        #expect(counter.errors == 1)         // the interrupted board
        #expect(counter.suiteAttributes["tests"] == "13")
    }

    @Test func jsonCarriesTheSummaryAndEveryRun() async throws {
        let text = try ReportFormat.json.render(title: "t", runs: try await sampleRuns())
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["passed"] as? Int == 3)
        #expect((doc["runs"] as? [Any])?.count == 5)
    }

    @Test func htmlIsSelfContainedWithPlots() async throws {
        let html = try ReportFormat.html.render(title: "WO-42 <night>", runs: try await sampleRuns())
        #expect(html.contains("WO-42 &lt;night&gt;"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 1 + 2)   // failure classes + two phases
        #expect(html.contains("<circle"))
        for forbidden in ["<script", "src=", "href=", "url(", "@import"] {
            #expect(!html.contains(forbidden), "HTML report must not load anything: found \(forbidden)")
        }
        let external = html.components(separatedBy: "http").dropFirst().filter { !$0.hasPrefix("://www.w3.org/2000/svg") }
        #expect(external.isEmpty)
    }

    @Test func emptyBatchStillRenders() throws {
        for format in ReportFormat.allCases {
            let text = try format.render(title: "empty", runs: [])
            #expect(!text.isEmpty)
        }
        #expect(BatchSummary(title: "e", runs: []).passRate == nil)
    }
}

private final class XMLCounter: NSObject, XMLParserDelegate {
    var testcases = 0, failures = 0, errors = 0
    var suiteAttributes: [String: String] = [:]
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "testcase": testcases += 1
        case "failure": failures += 1
        case "error": errors += 1
        case "testsuite": suiteAttributes = attributes
        default: break
        }
    }
}
