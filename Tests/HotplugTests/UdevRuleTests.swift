import Foundation
import Testing
@testable import Hotplug

@Suite struct UdevRuleTests {
    @Test func ruleGrantsBothShapesAndTagsModemManager() {
        let text = UdevRule(group: "station").text
        let rules = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(rules.count == 4)
        for id in ["17d1", "19d1"] {
            let usb = rules.filter { $0.contains("SUBSYSTEM==\"usb\"") && $0.contains("ATTR{idVendor}==\"\(id)\"") }
            let tty = rules.filter { $0.contains("SUBSYSTEM==\"tty\"") && $0.contains("ATTRS{idVendor}==\"\(id)\"") }
            #expect(usb.count == 1 && tty.count == 1, "\(id)")
        }
        #expect(rules.allSatisfy { $0.contains("ENV{ID_MM_DEVICE_IGNORE}=\"1\"") && $0.contains("GROUP=\"station\"") })
        #expect(rules.allSatisfy { $0.contains("ATTR{idProduct}==\"0001\"") || $0.contains("ATTRS{idProduct}==\"0001\"") })
    }

    @Test func coverageCheckNeedsBothIDsAndTheIgnoreTag() {
        let rule = UdevRule()
        #expect(rule.isCovered(by: rule.text))
        #expect(!rule.isCovered(by: rule.text.replacingOccurrences(of: "ID_MM_DEVICE_IGNORE", with: "X")))
        #expect(!rule.isCovered(by: rule.text.replacingOccurrences(of: "19d1", with: "1234")))
    }
}
