/// One way of bringing a board into download mode, as the profile lists them (`[boot_entry]`
/// first, then each `[[boot_entry.strategies]]`), modelled on esptool's ordered reset
/// strategies: the software sequence, the same with longer pauses, then the operator's hands.
public struct BootEntryStrategy: Sendable, Equatable {
    /// The name the first strategy (the `[boot_entry]` keys themselves) goes by.
    public static let firstName = "software"

    public let name: String
    /// Bytes written to the board's x.2 port, each followed by its pause; empty for a strategy
    /// that asks the operator.
    public let steps: [Profile.BootEntryStep]
    /// What the operator is asked to do (e.g. hold BOOT and press RESET); nil for a strategy
    /// that sends `steps`.
    public let operatorPrompt: String?
    /// How long the download-mode device may take to appear, from the strategy's start.
    public let downloadModeDeadline: Duration

    public init(name: String, steps: [Profile.BootEntryStep], operatorPrompt: String?, downloadModeDeadline: Duration) {
        self.name = name
        self.steps = steps
        self.operatorPrompt = operatorPrompt
        self.downloadModeDeadline = downloadModeDeadline
    }
}
