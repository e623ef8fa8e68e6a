/// The steps a slot's pipeline is made of: the one list of them. A profile's `[station] flow`
/// lists them in order, so a shorter flow (flash the app, check its boot) is a profile change,
/// not a code change. "Step" is the project's word; the profile's `[phases]` table (deadlines)
/// and the stored `failure_phase` / `phases` columns keep their older name for compatibility.
/// The raw values are those keys. Adding a step is adding a case here: the profile's
/// validation, the failure classes and the pipeline's deadlines all read this list.
public enum StationStep: String, Sendable, CaseIterable, Codable {
    /// A running board is sent into download mode by software (no-op when already there).
    case enterDownloadMode = "enter_download_mode"
    /// AgentBoot, BL, AP, CP and the QA script image.
    case flashFull = "flash_full"
    /// Reset, then wait for the running ports on the same physical path.
    case waitRunning = "wait_running"
    /// The board runs the QA script; the verdict rests on the QA server's evidence.
    case qa
    /// Script-only flash of the production image.
    case flashScript = "flash_script"
    /// The production app starts without a Lua error.
    case bootCheck = "boot_check"
    /// The production app is judged from its own log lines (profile `qa.app_log` expectations),
    /// for a flow that signs boards off by the app itself instead of the QA script.
    case appLog = "app_log"

    /// The retry budget a step draws on (`[retries]` in the profile).
    public var retryBudget: RetryBudget {
        switch self {
        case .flashFull, .flashScript: return .flash
        case .enterDownloadMode: return .bootEntry
        case .waitRunning: return .waitRunning
        case .qa: return .qa
        case .bootCheck: return .bootCheck
        case .appLog: return .appLog
        }
    }

    /// Whether a profile must give this step a deadline (`[phases]`); a step only some flows
    /// use may leave it out.
    public var deadlineRequired: Bool { self != .appLog }

    /// Whether the step signs a board off: a flow needs one of them, or boards would be recorded
    /// as passed on the strength of a flash alone.
    public var signsOff: Bool {
        switch self {
        case .qa, .appLog, .bootCheck: return true
        case .enterDownloadMode, .flashFull, .waitRunning, .flashScript: return false
        }
    }

    /// The default flow of DESIGN.md's station pipeline.
    public static let fullFlow: [StationStep] = [
        .enterDownloadMode, .flashFull, .waitRunning, .qa, .enterDownloadMode, .flashScript, .waitRunning, .bootCheck,
    ]
}

/// The retry budgets steps draw on: the keys of a profile's `[retries]` table. The two flash
/// steps share one budget, so the table is keyed by budget, not by step.
public enum RetryBudget: String, Sendable, CaseIterable, Codable {
    case flash
    case bootEntry = "boot_entry"
    case waitRunning = "wait_running"
    case qa
    case bootCheck = "boot_check"
    case appLog = "app_log"
}
