import Firmware
import Foundation
import Testing
import Vocabulary

@Suite struct ProfileTests {
    static let repoProfiles = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("profiles")
    static let shipped: String = {
        try! String(contentsOf: repoProfiles.appendingPathComponent("air780e.toml"), encoding: .utf8)
    }()

    @Test func shippedProfileLoadsWithTheBoardsIdentities() throws {
        let p = try Profile.load(Self.repoProfiles.appendingPathComponent("air780e.toml").path)
        #expect(p.name == "air780e")
        #expect(p.downloadMode == USBID(vendor: 0x17D1, product: 0x0001) && p.downloadMode == EC618USB.download)
        #expect(p.runningMode == USBID(vendor: 0x19D1, product: 0x0001) && p.runningMode == EC618USB.running)
        #expect(p.runningInterfaces == .init(socLog: 2, trace: 4, vuart: 6))
        #expect(p.bootEntrySteps.map(\.bytes) == [Array("AT+ECRST=delay,799\r\n".utf8), [0x7E, 0x00, 0x02, 0x7E]])
        #expect(p.bootEntrySteps.map(\.waitAfter) == [.milliseconds(200), .milliseconds(800)])
        #expect(Set(p.stepDeadlines.keys.map(\.rawValue)).isSuperset(of: Profile.stepsNeedingDeadlines))
        #expect(p.qaChecks.first == .get)
        #expect(p.qaExtraURLs.isEmpty)
        #expect(p.acceptsSinglePortRunningID == false)
    }

    @Test func singlePortRunningIDIsReadAndOptional() throws {
        let line = "accept_single_port_running_id = false"
        #expect(Self.shipped.contains(line))
        let on = try Profile(toml: Self.shipped.replacingOccurrences(of: line, with: "accept_single_port_running_id = true"),
                             source: "on.toml")
        #expect(on.acceptsSinglePortRunningID)
        let absent = try Profile(toml: Self.shipped.replacingOccurrences(of: line, with: ""), source: "absent.toml")
        #expect(absent.acceptsSinglePortRunningID == false)
    }

    @Test func profileIsFoundByName() throws {
        let p = try withEnvironment("PROVISION_PROFILES", Self.repoProfiles.path) { try Profile.load("air780e") }
        #expect(p.source.hasSuffix("profiles/air780e.toml"))
        #expect(throws: FirmwareError.self) { try Profile.load("no-such-board") }
    }

    static let shippedFlow = #"""
        flow = ["enter_download_mode", "flash_full", "wait_running", "qa",
                "enter_download_mode", "flash_script", "wait_running", "boot_check"]
        """#

    /// Each sign-off step alone is enough; a flow without `qa` may leave `qa.checks` empty, as
    /// nothing would run them.
    @Test(arguments: Profile.signOffSteps)
    func aFlowWithOneSignOffPhaseIsAccepted(phase: String) throws {
        #expect(Self.shipped.contains(Self.shippedFlow))
        let checks = #"checks = ["get", "form_post", "multipart_upload", "download", "json_roundtrip", "gzip", "https"]"#
        #expect(Self.shipped.contains(checks))
        var text = Self.shipped.replacingOccurrences(
            of: Self.shippedFlow, with: #"flow = ["enter_download_mode", "flash_script", "wait_running", "\#(phase)"]"#)
        if phase != "qa" { text = text.replacingOccurrences(of: checks, with: "checks = []") }
        let p = try Profile(toml: text, source: "short.toml")
        #expect(p.flow.last?.rawValue == phase)
        #expect(p.qaChecks.isEmpty == (phase != "qa"))
    }

    static let breakages: [(String, String, String)] = [
        ("vendor_id = 0x17D1", "vendor_id = 0x117D1", "16-bit"),
        ("soc_log = 2", "soc_log = 4", "distinct"),
        ("send_hex = \"7E00027E\"", "send_hex = \"7E0G027E\"", "not hex"),
        ("\"gzip\",", "\"gzip\", \"telnet\",", "unknown check \"telnet\""),
        ("qa = 200\n", "", "phases.qa is missing"),
        ("download_baud = 921600", "download_baud = \"fast\"", "serial.download_baud"),
        ("[retries]", "[retries]\nflsh = 1\n[extra]\nx = 1", "unknown key"),
        ("chip = \"ec618\"", "chip = \"ec718\"", "ec718"),
        ("[board]", "[board", "TOML syntax error at line"),
        ("download_bytes = 65536", "download_bytes = 0", "qa.download_bytes must be 1–16777216 bytes (got 0)"),
        ("extra_urls = []", "extra_urls = [\"ftp://x/y\"]", "qa.extra_urls: \"ftp://x/y\" is not an http(s) URL"),
        ("unavailable_checks = \"fail\"", "unavailable_checks = \"ignore\"", "qa.unavailable_checks must be \"fail\" or \"skip\" (got \"ignore\")"),
        ("unavailable_checks = \"fail\"", "unavailable_checks = 1", "qa.unavailable_checks"),
        ("accept_single_port_running_id = false", "accept_single_port_running_id = 1",
         "usb.download.accept_single_port_running_id"),
        // A qa phase with nothing to check would pass every board.
        ("checks = [\"get\", \"form_post\", \"multipart_upload\", \"download\", \"json_roundtrip\", \"gzip\", \"https\"]",
         "checks = []", "qa.checks is empty"),
        // A flow that flashes and stops would record boards as passed that nothing checked.
        (Self.shippedFlow, #"flow = ["enter_download_mode", "flash_full", "wait_running", "enter_download_mode", "flash_script"]"#,
         "station.flow has no sign-off step (one of qa, boot_check, app_log)"),
        ("accept_single_port_running_id = false", "accept_single_port_running_id = \"yes\"",
         "usb.download.accept_single_port_running_id"),
        ("accept_single_port_running_id = false", "accept_single_port_running_ids = true", "unknown key"),
        // The name tables refuse a typo naming it, instead of leaving a step on no deadline or budget.
        ("flash_full = 240", "flash_ful = 240",
         "unknown key phases.flash_ful; known: enter_download_mode, flash_full, wait_running, qa, flash_script, boot_check, app_log"),
        ("boot_entry = 2", "boot_entyr = 2",
         "unknown key retries.boot_entyr; known: flash, boot_entry, wait_running, qa, boot_check, app_log"),
        ("log_escaping = \"airm2m\"", "log_escaping = \"slip\"",
         "station.log_escaping: unknown value \"slip\"; known: airm2m, ectool, hdlc"),
    ]

    /// Every number is bounded by a named range and refused naming its key: values near Int64.max
    /// used to overflow at start (`phases.*` to nanoseconds) or mid-board (the QA plan's deadline
    /// sum), leaving a `running` row behind.
    static let outOfBounds: [(String, String, String)] = {
        let huge = "9223372036854775807"
        return [
            ("qa = 200\n", "qa = \(huge)\n", "phases.qa must be 1–86400 s (got \(huge))"),
            ("flash_full = 240", "flash_full = 86401", "phases.flash_full must be 1–86400 s"),
            ("attach_budget_ms = 60000", "attach_budget_ms = \(huge)", "qa.attach_budget_ms must be 1–86400000 ms"),
            ("check_timeout_ms = 15000", "check_timeout_ms = \(huge)", "qa.check_timeout_ms must be 1–86400000 ms"),
            ("check_timeout_ms = 15000", "check_timeout_ms = -15000", "qa.check_timeout_ms must be 1–86400000 ms"),
            ("upload_bytes = 16384", "upload_bytes = \(huge)", "qa.upload_bytes must be 1–16777216 bytes"),
            ("download_bytes = 65536", "download_bytes = 200000000", "qa.download_bytes must be 1–16777216 bytes"),
            ("boot_check_ms = 5000", "boot_check_ms = \(huge)", "station.boot_check_ms must be 1–86400000 ms"),
            ("app_log_ms = 60000", "app_log_ms = \(huge)", "station.app_log_ms must be 1–86400000 ms"),
            ("download_mode_deadline_ms = 15000", "download_mode_deadline_ms = \(huge)",
             "boot_entry.download_mode_deadline_ms must be 1–86400000 ms"),
            ("wait_ms = 800", "wait_ms = \(huge)", "boot_entry.steps[1].wait_ms must be 0–86400000 ms"),
            ("wait_ms = 800", "wait_ms = -1", "boot_entry.steps[1].wait_ms must be 0–86400000 ms"),
            ("flash = 1", "flash = \(huge)", "retries.flash must be 0–10 tries"),
            ("runtime_baud = 921600", "runtime_baud = \(huge)", "serial.runtime_baud must be 1–100000000 baud"),
        ]
    }()

    /// The tables of step names take only `StationStep`'s names and `RetryBudget`'s: adding a
    /// step is adding a case, and the profile knows it.
    @Test func theStepTablesAreTheOneListOfSteps() throws {
        #expect(Profile.knownSteps == StationStep.allCases.map(\.rawValue))
        #expect(Profile.defaultFlow == StationStep.fullFlow.map(\.rawValue))
        let p = try Profile(toml: Self.shipped, source: "air780e.toml")
        #expect(p.stepDeadlines[.flashFull] == .seconds(240) && p.retries == [.flash: 1, .bootEntry: 2])
        #expect(p.flow == StationStep.fullFlow)
        #expect(p.logEscaping == .airm2m)
        for escaping in LogEscaping.allCases {
            let text = Self.shipped.replacingOccurrences(of: "log_escaping = \"airm2m\"", with: "log_escaping = \"\(escaping.rawValue)\"")
            #expect(try Profile(toml: text, source: "e.toml").logEscaping == escaping)
        }
    }

    @Test(arguments: outOfBounds)
    func numberOutOfItsBoundsIsRefusedNamingTheKey(change: (String, String, String)) throws {
        let (from, to, expected) = change
        #expect(Self.shipped.contains(from))
        let text = Self.shipped.replacingOccurrences(of: from, with: to)
        let e = try #require(throws: FirmwareError.self) { try Profile(toml: text, source: "huge.toml") }
        #expect(e.file == "huge.toml")
        #expect(e.reason.contains(expected), "\(e.reason)")
    }

    @Test func theBoundsThemselvesAreAccepted() throws {
        let text = Self.shipped
            .replacingOccurrences(of: "qa = 200\n", with: "qa = 86400\n")
            .replacingOccurrences(of: "attach_budget_ms = 60000", with: "attach_budget_ms = 86400000")
            .replacingOccurrences(of: "upload_bytes = 16384", with: "upload_bytes = 16777216")
        let p = try Profile(toml: text, source: "edge.toml")
        #expect(p.stepDeadlines[.qa] == .seconds(86_400))
        #expect(p.qaAttachBudget == .milliseconds(86_400_000))
        #expect(p.qaUploadBytes == 16 * 1024 * 1024)
    }

    @Test func unavailableChecksPolicyIsReadAndDefaultsToFail() throws {
        #expect(try Profile(toml: Self.shipped, source: "p.toml").qaUnavailableChecks == .fail)
        let skip = Self.shipped.replacingOccurrences(of: "unavailable_checks = \"fail\"", with: "unavailable_checks = \"skip\"")
        #expect(try Profile(toml: skip, source: "p.toml").qaUnavailableChecks == .skip)
        let absent = Self.shipped.replacingOccurrences(of: "unavailable_checks = \"fail\"\n", with: "")
        #expect(!absent.contains("unavailable_checks ="))
        #expect(try Profile(toml: absent, source: "p.toml").qaUnavailableChecks == .fail)
    }

    @Test(arguments: breakages)
    func brokenProfileIsRefusedNamingTheProblem(change: (String, String, String)) throws {
        let (from, to, expected) = change
        #expect(Self.shipped.contains(from))
        let text = Self.shipped.replacingOccurrences(of: from, with: to)
        let e = try #require(throws: FirmwareError.self) { try Profile(toml: text, source: "broken.toml") }
        #expect(e.file == "broken.toml")
        #expect(e.reason.contains(expected), "\(e.reason)")
    }
}

private func withEnvironment<T>(_ key: String, _ value: String, _ body: () throws -> T) rethrows -> T {
    let old = ProcessInfo.processInfo.environment[key]
    setenv(key, value, 1)
    defer { if let old { setenv(key, old, 1) } else { unsetenv(key) } }
    return try body()
}
