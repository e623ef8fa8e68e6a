extension FailureClass {
    /// One known class: its name, what it means, and whether a retry may help by default.
    public struct Definition: Sendable, Equatable {
        public let name: String
        /// Short human wording (`wrong status`), followed by the number when the class has one.
        public let label: String
        /// What happened, for reports and operators.
        public let meaning: String
        /// Whether the stored value carries a number (`wrong_status:404`).
        public let takesNumber: Bool
        /// Whether retrying the failed step may help (a NAKed block, a reset), as opposed to a
        /// verdict (content mismatch) or a vanished board. A failing site may still decide.
        public let retryable: Bool

        init(_ name: String, _ label: String, _ meaning: String, number: Bool = false, retryable: Bool = false) {
            self.name = name
            self.label = label
            self.meaning = meaning
            self.takesNumber = number
            self.retryable = retryable
        }
    }

    // MARK: The QA verdict (server evidence, the board's report, the app's log)

    public static let noNetworkAttach = FailureClass(rawValue: "no_network_attach")
    /// A negative LuatOS `http.request` code (-4 connect, -5 closed, …).
    public static func httpLibraryError(code: Int) -> FailureClass { FailureClass(rawValue: "http_library_error:\(code)") }
    /// An HTTP status other than the one the check expects.
    public static func wrongStatus(code: Int) -> FailureClass { FailureClass(rawValue: "wrong_status:\(code)") }
    public static let contentMismatch = FailureClass(rawValue: "content_mismatch")
    /// A check, a QA report or a station step that overran its deadline.
    public static let timeout = FailureClass(rawValue: "timeout")
    public static let noReport = FailureClass(rawValue: "no_report")
    /// A Lua error inside the QA script's check (the script caught it and reported it).
    public static let scriptError = FailureClass(rawValue: "script_error")
    /// The check needs a module this firmware build lacks, and the plan says that fails the board.
    public static let unavailableOnFirmware = FailureClass(rawValue: "unavailable_on_firmware")

    // MARK: The station's steps

    /// The station stopped (Ctrl-C, SIGTERM) before the run was decided.
    public static let interrupted = FailureClass(rawValue: "interrupted")
    /// The board left its slot in the middle of a step.
    public static let unplugged = FailureClass(rawValue: "unplugged")
    /// A running board did not come back in download mode after the boot-entry sequence.
    public static let bootEntryFailed = FailureClass(rawValue: "boot_entry_failed")
    /// The board reset but its running ports never appeared (or it came back in download mode).
    public static let noRunningPorts = FailureClass(rawValue: "no_running_ports")
    /// The board dropped off the bus and came straight back (brown-out, watchdog).
    public static let boardReset = FailureClass(rawValue: "board_reset")
    /// The production app reset the board during the boot check.
    public static let appRebooted = FailureClass(rawValue: "app_rebooted")
    /// The QA step had no QA session (image not flashed, the server lost or could not judge it).
    public static let noQASession = FailureClass(rawValue: "no_qa_session")
    /// A port of the board could not be opened.
    public static let portUnavailable = FailureClass(rawValue: "port_unavailable")
    /// The flasher failed in a way a new attempt may cure (NAK, lost byte).
    public static let flashRetryable = FailureClass(rawValue: "flash_retryable")
    /// The flasher failed for good (the board refused the image, a protocol error).
    public static let flashFailed = FailureClass(rawValue: "flash_failed")
    /// The production app found no script to run.
    public static let noScript = FailureClass(rawValue: "no_script")
    /// The production app logged a Lua error during the boot check.
    public static let appLuaError = FailureClass(rawValue: "app_lua_error")
    /// The app's own log did not show what the profile's `qa.app_log` expects.
    public static let appLogFailed = FailureClass(rawValue: "app_log_failed")
    /// The QA step failed without a more precise class from the verdict.
    public static let qaFailed = FailureClass(rawValue: "qa_failed")
    /// An unexpected error inside `step` (`flash_full_error`, …).
    public static func stepError(_ step: StationStep) -> FailureClass { FailureClass(rawValue: "\(step.rawValue)_error") }

    // MARK: Identity gates (per-board provisioning)

    /// The IMEI the board reports is not 15 digits with a valid Luhn check digit.
    public static let badIMEI = FailureClass(rawValue: "bad_imei")
    /// A board with this IMEI already passed in the store, and the station is not in rework mode.
    public static let duplicateIMEI = FailureClass(rawValue: "duplicate_imei")
    /// The board reports no SIM (no ICCID).
    public static let noSIM = FailureClass(rawValue: "no_sim")
    /// The signal quality (CSQ) is below the profile's threshold.
    public static let weakSignal = FailureClass(rawValue: "weak_signal")
    /// The firmware version the board reports differs from the `.soc`'s.
    public static let firmwareMismatch = FailureClass(rawValue: "firmware_mismatch")
    /// The firmware reports the RF calibration as missing or invalid.
    public static let calibrationLost = FailureClass(rawValue: "calibration_lost")
    /// The label the operator scanned does not carry the board's IMEI.
    public static let labelMismatch = FailureClass(rawValue: "label_mismatch")
    /// The board's per-board data could not be found or written (no row for its key, a write failed).
    public static let boardDataFailed = FailureClass(rawValue: "board_data_failed")

    // MARK: Reports

    /// The group reports put a failed run without a class in.
    public static let unclassified = FailureClass(rawValue: "unknown")

    /// Every known class, described once.
    public static let catalogue: [Definition] = [
        Definition("no_network_attach", "no network attach", "the board never attached to the 4G network"),
        Definition("http_library_error", "HTTP library error",
                   "the firmware's HTTP client returned this negative code (-4 connect, -5 closed, …)", number: true),
        Definition("wrong_status", "wrong status", "the server answered with this HTTP status", number: true),
        Definition("content_mismatch", "content mismatch",
                   "what the server received or served differs from what the board reports or should have"),
        Definition("timeout", "timeout", "a check, the QA report or a station step overran its deadline"),
        Definition("no_report", "no report", "no signed report from the board reached the QA server"),
        Definition("script_error", "QA script error", "a Lua error inside the QA script's check"),
        Definition("unavailable_on_firmware", "unavailable on this firmware",
                   "the check needs a module this firmware build lacks, and the plan fails such a board"),
        Definition("interrupted", "interrupted", "the station stopped before the run was decided"),
        Definition("unplugged", "unplugged", "the board left its slot in the middle of a step"),
        Definition("boot_entry_failed", "boot entry failed",
                   "a running board did not come back in download mode after the boot-entry sequence", retryable: true),
        Definition("no_running_ports", "no running ports", "the board reset but its running ports never appeared"),
        Definition("board_reset", "board reset", "the board dropped off the bus and came straight back", retryable: true),
        Definition("app_rebooted", "app rebooted", "the production app reset the board during the boot check"),
        Definition("no_qa_session", "no QA session", "the QA step had no QA session, or the server lost it"),
        Definition("port_unavailable", "port unavailable", "a port of the board could not be opened", retryable: true),
        Definition("flash_retryable", "flash failed (retryable)", "the flasher failed in a way a new attempt may cure",
                   retryable: true),
        Definition("flash_failed", "flash failed", "the flasher failed for good"),
        Definition("no_script", "no script", "the production app found no script to run"),
        Definition("app_lua_error", "app Lua error", "the production app logged a Lua error during the boot check"),
        Definition("app_log_failed", "app log failed", "the app's own log did not show what the profile expects"),
        Definition("qa_failed", "QA failed", "the QA step failed without a more precise class"),
        Definition("bad_imei", "bad IMEI", "the IMEI the board reports is not 15 digits with a valid Luhn check digit"),
        Definition("duplicate_imei", "duplicate IMEI", "a board with this IMEI already passed (not in rework mode)"),
        Definition("no_sim", "no SIM", "the board reports no SIM card (no ICCID)"),
        Definition("weak_signal", "weak signal", "the signal quality (CSQ) is below the profile's threshold"),
        Definition("firmware_mismatch", "firmware mismatch", "the firmware version the board reports differs from the .soc's"),
        Definition("calibration_lost", "RF calibration lost", "the firmware reports the RF calibration as missing or invalid"),
        Definition("label_mismatch", "label mismatch", "the scanned label does not carry the board's IMEI"),
        Definition("board_data_failed", "board data failed",
                   "the board's own data could not be found or written (no row for its key, a write failed)"),
        Definition("unknown", "unknown", "a failed run stored without a class"),
    ] + StationStep.allCases.map {
        Definition("\($0.rawValue)_error", "\($0.rawValue) error", "an unexpected error in the \($0.rawValue) step")
    }

    static let definitions: [String: Definition] = Dictionary(uniqueKeysWithValues: catalogue.map { ($0.name, $0) })
}
