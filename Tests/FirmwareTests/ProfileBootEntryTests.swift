import Firmware
import Foundation
import Testing

@Suite struct ProfileBootEntryTests {
    static var shipped: String {
        get throws {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("profiles/air780e.toml").path
            return try String(contentsOfFile: path, encoding: .utf8)
        }
    }

    @Test func theShippedStrategiesAreSoftwareThenSlowerThenTheOperator() throws {
        let p = try Profile(toml: try Self.shipped, source: "air780e.toml")
        #expect(p.bootEntryStrategies.map(\.name) == ["software", "software-slow", "operator"])
        #expect(p.bootEntryStrategies[0].steps == p.bootEntrySteps)
        #expect(p.bootEntryStrategies[0].downloadModeDeadline == p.downloadModeDeadline)
        #expect(p.bootEntryStrategies[1].steps.map(\.waitAfter) == [.milliseconds(500), .milliseconds(2000)])
        #expect(p.bootEntryStrategies[2].steps.isEmpty)
        #expect(p.bootEntryStrategies[2].operatorPrompt == "hold BOOT, press RESET, release BOOT")
    }

    @Test func aProfileWithoutStrategiesHasTheOneFromItsBootEntryKeys() throws {
        let text = try Self.shipped
        let cut = text.range(of: "# The same with longer pauses")!.lowerBound..<text.range(of: "[station]")!.lowerBound
        let p = try Profile(toml: text.replacingCharacters(in: cut, with: ""), source: "one.toml")
        #expect(p.bootEntryStrategies.map(\.name) == ["software"])
    }

    @Test(arguments: [
        ("name = \"operator\"", "name = \"operator\"\nsend_it = true", "send_it"),
        ("operator_prompt = \"hold BOOT, press RESET, release BOOT\"", "",
         "boot_entry.strategies[1] needs exactly one of steps (sent on x.2) or operator_prompt"),
        ("name = \"operator\"", "name = \"software-slow\"",
         "boot_entry.strategies[1].name must be a name no other boot-entry strategy has"),
        ("enter_download_mode = 100", "enter_download_mode = 30", "longer than phases.enter_download_mode"),
        ("download_mode_deadline_ms = 60000", "download_mode_deadline_ms = 0",
         "boot_entry.strategies[1].download_mode_deadline_ms must be 1–86400000 ms"),
    ])
    func badStrategiesAreRefusedNamingTheKey(find: String, replace: String, reason: String) throws {
        let text = try Self.shipped
        #expect(text.contains(find))
        #expect {
            try Profile(toml: text.replacingOccurrences(of: find, with: replace), source: "bad.toml")
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
