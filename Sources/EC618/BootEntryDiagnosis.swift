/// What the bus showed when a boot-entry strategy did not bring the board into download mode:
/// the first thing an operator or an engineer needs to know next (esptool prints the same kind
/// of diagnosis after its reset strategies ran out).
public enum BootEntryDiagnosis: Sendable, Equatable, CustomStringConvertible {
    /// The board stayed on the bus, running: x.2 took the bytes (or could not be written) and
    /// nothing happened — no reset. `reason` is the write failure, if there was one.
    case socLogNeverAnswered(reason: String?)
    /// The board reset (left the bus) and nothing came back at its physical path.
    case leftAndNeverCameBack
    /// The board reset and came back running its firmware: the reset was honoured but the
    /// diag frame that selects download mode was ignored.
    case cameBackRunning
    /// The board came back in download mode, but without the port the station's link needs
    /// (`link` is `tty` or `usb`).
    case downloadModeWithoutPort(link: String)
    /// An operator strategy: nothing in download mode appeared while the operator was asked.
    case operatorDidNotAct
    /// Something the board cannot be driven as (a device of unknown shape) stood at the path.
    case unknownShape

    /// A stable name for records and JSON.
    public var code: String {
        switch self {
        case .socLogNeverAnswered: return "soc_log_never_answered"
        case .leftAndNeverCameBack: return "left_and_never_came_back"
        case .cameBackRunning: return "came_back_running"
        case .downloadModeWithoutPort: return "download_mode_without_port"
        case .operatorDidNotAct: return "operator_did_not_act"
        case .unknownShape: return "unknown_shape"
        }
    }

    public var description: String {
        switch self {
        case .socLogNeverAnswered(let reason):
            return "x.2 never answered: the board kept running and did not reset"
                + (reason.map { " (writing x.2 failed: \($0))" } ?? "")
        case .leftAndNeverCameBack:
            return "the board left the bus and did not come back"
        case .cameBackRunning:
            return "the board reset and came back running (the boot-entry bytes were ignored)"
        case .downloadModeWithoutPort(let link):
            return "the board came back in download mode without the \(link) port the link needs"
        case .operatorDidNotAct:
            return "no download-mode device while the operator was asked to press BOOT and reset"
        case .unknownShape:
            return "a device of unknown shape stood in the slot"
        }
    }
}

/// Every strategy tried and what the bus showed after each: the typed detail of a
/// `boot_entry_failed` step.
public struct BootEntryFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Attempt: Sendable, Equatable {
        public let strategy: String
        public let diagnosis: BootEntryDiagnosis

        public init(strategy: String, diagnosis: BootEntryDiagnosis) {
            self.strategy = strategy
            self.diagnosis = diagnosis
        }
    }

    public let attempts: [Attempt]

    public init(attempts: [Attempt]) {
        self.attempts = attempts
    }

    /// What the last software strategy saw: the most telling diagnosis (an operator who did not
    /// act says nothing about why the software entry failed).
    public var diagnosis: BootEntryDiagnosis? {
        attempts.last(where: { $0.diagnosis != .operatorDidNotAct })?.diagnosis ?? attempts.last?.diagnosis
    }

    public var description: String {
        "no download mode after " + attempts.map { "\($0.strategy): \($0.diagnosis)" }.joined(separator: "; ")
    }
}
