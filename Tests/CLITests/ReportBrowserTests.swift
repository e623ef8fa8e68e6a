import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Records
import TestSupport
import Testing

/// The batch report as its readers get it: the HTML opens in headless Chromium with no console
/// error and its screenshot shows the plots (scripts/check-report-browser), and the JUnit XML
/// parses into one test case per board and per check.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
                             "headless Chromium is not installed (/usr/bin/chromium, Debian package chromium)"))
struct ReportBrowserTests {
    static let chromium = "/usr/bin/chromium"

    /// The checkout this test file is in (the scratch build folder may be anywhere).
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var script: String { checkout.appendingPathComponent("scripts/check-report-browser").path }

    private func check(_ html: String, _ png: String) throws -> ChildProcess.Result {
        try ChildProcess.run("/bin/bash", [Self.script, html, png], environment: ["CHROMIUM": Self.chromium])
    }

    @Test func stationReportRendersInChromiumAndJUnitParses() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = "sqlite:" + folder.appendingPathComponent("results.sqlite").path
        let station = try await ProvisionBinary.run([
            "--soc", soc, app, "--simulate", "2", "--count", "4", "--db", db, "--batch", "browser",
            "--sim-fault", "3=no-network",
        ])
        #expect(station.status == 1, "one board fails, so the failure chart has a bar: \(station.stderr)")

        let html = folder.appendingPathComponent("report.html").path
        let junit = folder.appendingPathComponent("report.xml").path
        for (format, out) in [("html", html), ("junit", junit)] {
            let report = try await ProvisionBinary.run(["report", "--db", db, "--batch", "browser", "--format", format, "-o", out])
            try #require(report.status == 0, "\(format): \(report.stderr)")
        }

        let png = folder.appendingPathComponent("report.png").path
        let start = ContinuousClock.now
        let checked = try check(html, png)
        print("check-report-browser (\(ContinuousClock.now - start)):\n\(checked.stdout)")
        #expect(checked.status == 0, "\(checked.stdout)\n\(checked.stderr)")
        #expect(checked.stdout.contains("renders cleanly, plots visible"))
        #expect((try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0 > 0)

        let store = try await StoreURL.open(db)
        let runs = try await store.runs(RunQuery(batch: "browser"))
        await store.close()
        #expect(runs.count == 4)
        try checkJUnit(at: junit, runs: runs)
    }

    /// testsuites › testsuite › testcase: one case per board and one per check of each board, and
    /// the counts in the attributes agree with the failure elements.
    private func checkJUnit(at path: String, runs: [RunRecord]) throws {
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: path), options: [])
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.count == 1)
        let suite = try #require(suites.first)
        let cases = suite.elements(forName: "testcase")
        let names = cases.compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(names.count == cases.count, "every testcase has a name")
        #expect(cases.allSatisfy { $0.attribute(forName: "classname")?.stringValue?.hasPrefix("browser.") == true })
        #expect(names.filter { $0.hasPrefix("board ") }.count == runs.count)
        for run in runs {
            let board = "\(run.slotLabel) \(run.imei ?? run.runID)"
            #expect(names.filter { $0 == "board \(board)" }.count == 1, "one case for board \(board)")
            for check in run.checks {
                #expect(names.filter { $0 == "check \(check.name) \(board)" }.count == 1,
                        "one case for check \(check.name) of board \(board)")
            }
        }
        let checkCount = runs.map(\.checks.count).reduce(0, +)
        #expect(checkCount > 0)
        #expect(cases.count == runs.count + checkCount)
        let failed = cases.filter { !$0.elements(forName: "failure").isEmpty }.count
        #expect(failed > 0, "the no-network board's case fails")
        for element in [root, suite] {
            #expect(Int(element.attribute(forName: "tests")?.stringValue ?? "") == cases.count)
            #expect(Int(element.attribute(forName: "failures")?.stringValue ?? "") == failed)
        }
    }

    @Test func brokenPageFailsTheCheck() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let html = folder.appendingPathComponent("broken.html").path
        try Data("""
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
            <body><h1>No plots here</h1><script>throw new Error("x")</script></body></html>
            """.utf8).write(to: URL(fileURLWithPath: html))
        let checked = try check(html, folder.appendingPathComponent("broken.png").path)
        #expect(checked.status == 1, "\(checked.stdout)\n\(checked.stderr)")
        #expect(checked.stderr.contains("Uncaught Error: x"))
        #expect(checked.stderr.contains("no <svg"))
        #expect(checked.stderr.contains("plots are not visible"))
    }

    /// A page with a plot in the report's colours passes; the same page fails when it logs a
    /// console error, or when the plot is in the DOM but not on screen.
    @Test(arguments: [
        (extra: "", style: "", passes: true, says: "plots visible"),
        (extra: "<script>console.error(\"boom\")</script>", style: "", passes: false, says: "\"boom\""),
        (extra: "", style: "svg{display:none}", passes: false, says: "plots are not visible"),
    ])
    func eachRuleOfTheCheckBites(extra: String, style: String, passes: Bool, says: String) throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let html = folder.appendingPathComponent("plot.html").path
        try Data("""
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>plot</title><style>\(style)</style></head><body>
            <svg xmlns="http://www.w3.org/2000/svg" width="400" height="60"><rect x="0" y="0" width="300" height="20" fill="#d93025"/>
            <rect x="0" y="30" width="200" height="20" fill="#c6dafc"/></svg>\(extra)</body></html>
            """.utf8).write(to: URL(fileURLWithPath: html))
        let checked = try check(html, folder.appendingPathComponent("plot.png").path)
        #expect((checked.status == 0) == passes, "\(checked.stdout)\n\(checked.stderr)")
        #expect((checked.stdout + checked.stderr).contains(says))
    }

    @Test func missingReportIsAUsageError() async throws {
        let checked = try check("/nonexistent/report.html", "/tmp/unused.png")
        #expect(checked.status == 2)
        #expect(checked.stderr.contains("/nonexistent/report.html: no such file"))
    }
}
