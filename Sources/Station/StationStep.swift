/// The steps a slot's pipeline is made of. A profile's `[station] flow` lists them in order, so
/// a shorter flow (flash the app, check its boot) is a profile change, not a code change. The raw
/// values are the profile's phase names, which also key the per-phase deadlines.
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
    public var retryKey: String {
        switch self {
        case .flashFull, .flashScript: return "flash"
        case .enterDownloadMode: return "boot_entry"
        case .waitRunning, .qa, .bootCheck, .appLog: return rawValue
        }
    }

    /// The default flow of DESIGN.md's station pipeline.
    public static let fullFlow: [StationStep] = [
        .enterDownloadMode, .flashFull, .waitRunning, .qa, .enterDownloadMode, .flashScript, .waitRunning, .bootCheck,
    ]
}
