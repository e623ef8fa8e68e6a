import Firmware
import Foundation
import QA
import Testing
import Vocabulary

/// The QA plan follows the profile: its checks, budgets and extra URLs.
@Suite struct QAPlanProfileTests {
    static let shipped: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles/air780e.toml")
        return try! String(contentsOf: url, encoding: .utf8)
    }()

    /// A board that never says `done` is judged on the server's evidence when the plan's deadline
    /// passes; the station's qa phase must outlast it, or the verdict would be a bare timeout.
    @Test func theShippedQAPhaseOutlastsThePlansOwnDeadline() throws {
        let profile = try Profile(toml: Self.shipped, source: "air780e.toml")
        let plan = QAPlan(profile: profile)
        let phase = try #require(profile.stepDeadlines[.qa])
        #expect(Duration.milliseconds(plan.deadlineMs) < phase, "plan \(plan.deadlineMs) ms, phase \(phase)")
    }

    @Test func extraURLsAndSwitchedOffChecksComeFromTheProfile() throws {
        let text = Self.shipped
            .replacingOccurrences(of: "extra_urls = []", with: "extra_urls = [\"http://127.0.0.1:9/ping\"]")
            .replacingOccurrences(of: ", \"gzip\"", with: "")
        let profile = try Profile(toml: text, source: "test.toml")
        let plan = QAPlan(profile: profile)
        #expect(plan.extraURLs == ["http://127.0.0.1:9/ping"])
        #expect(!plan.checks.contains(.gzip))
        #expect(plan.checks.contains(.get))
        #expect(QAPlan(profile: profile, extraURLs: []).extraURLs.isEmpty)
    }

    @Test func theUnavailableChecksPolicyReachesThePlanTheScriptAndSurvivesJSON() async throws {
        #expect(QAPlan(profile: try Profile(toml: Self.shipped, source: "p.toml")).unavailableChecks == .fail)
        let text = Self.shipped.replacingOccurrences(of: "unavailable_checks = \"fail\"", with: "unavailable_checks = \"skip\"")
        let plan = QAPlan(profile: try Profile(toml: text, source: "p.toml"))
        #expect(plan.unavailableChecks == .skip)
        #expect(plan.without(.https).unavailableChecks == .skip)
        let decoded = try JSONDecoder().decode(QAPlan.self, from: JSONEncoder().encode(plan))
        #expect(decoded == plan)
        // A plan from a station that predates the key (admin API) is strict.
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(plan)) as? [String: Any])
        object["unavailableChecks"] = nil
        let old = try JSONDecoder().decode(QAPlan.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.unavailableChecks == .fail)
        let ticket = await QAServer().createSession(boardID: "b", plan: plan)
        #expect(QAScriptImage.configLua(ticket: ticket).contains("unavailable_checks = \"skip\","))
    }
}
