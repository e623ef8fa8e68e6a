import Firmware
import Foundation
import QA
import Testing

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
        let phase = try #require(profile.phaseDeadlines["qa"])
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
}
