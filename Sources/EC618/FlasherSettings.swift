/// Timeouts, retry counts and protocol choices of the flasher (spec §2.2, §8.1, §8.3).
public struct FlasherSettings: Sendable {
    /// Sync rounds before giving up (spec: MAX_SYNC_COUNT 50; doubles as "press BOOT" time).
    public var syncRounds = 50
    /// Sync words written per round (every tool uses 2).
    public var syncWordsPerRound = 2
    /// How long a round waits for the echo.
    public var syncEchoTimeout: Duration = .milliseconds(800)
    /// How long to wait for the optional 5th byte after a DLBOOT echo (UART junk check, §2.2);
    /// zero skips the probe.
    public var dlbootTrailingByteProbe: Duration = .milliseconds(5)
    /// Deadline for a complete response to one command.
    public var responseTimeout: Duration = .milliseconds(800)
    /// Resends of one command after a timeout, NAK, or bad response (vendor MAX_RESEND_COUNT).
    public var commandRetries = 10
    /// Restarts of a 64 KiB block from its AGBOOT sync after its command retries ran out.
    public var blockRetries = 2
    /// Pause before a resend, so a device that lost framing sees an idle line and resynchronises.
    public var retryPause: Duration = .milliseconds(30)
    /// Repeat GET_VERSION/SEL_IMAGE/VERIFY before each data block (vendor tool style, §10 item 4).
    public var baseInfoPerBlock = false
    /// After each image, read it back with READ_MEM and compare it with what was written
    /// (probe-rs style verify); a difference fails the flash.
    public var verify = false
    /// Baud the AgentBoot header announces (spec §4.3; irrelevant for USB).
    public var agentBootBaud = ProtocolConstants.agentBootBaud
    /// How pauses are taken; tests may replace it.
    public var sleep: @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }

    public init() {}

    /// Short deadlines and few retries, for tests against the simulated board.
    public static var fastTests: FlasherSettings {
        var s = FlasherSettings()
        s.syncRounds = 5
        s.syncEchoTimeout = .milliseconds(300)
        s.responseTimeout = .milliseconds(300)
        s.commandRetries = 3
        s.blockRetries = 1
        s.retryPause = .milliseconds(30)
        return s
    }

    /// The longest a flash can wait without any progress before it fails: a bound tests check.
    public var worstCaseStall: Duration {
        let perCommand = (responseTimeout + retryPause) * (commandRetries + 1)
        return perCommand * (blockRetries + 1) + syncEchoTimeout * syncRounds * 2
    }
}
