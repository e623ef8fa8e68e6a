import Firmware

/// The range every number a command-line option carries must fall in. Durations share the
/// profile's ranges (`Profile.Bounds`), so a `--…-ms` option and a `*_ms` profile key accept the
/// same values; the rest are what a line could ever need, small enough that nothing derived from
/// them (deadlines, `Duration`s, sleeps, per-board allocations) overflows or exhausts the machine.
enum OptionBounds {
    /// Timeouts and windows in milliseconds (`--response-timeout-ms`): 1 ms to 24 h.
    static let milliseconds = Profile.Bounds.milliseconds
    /// Delays where none is meaningful (`--attach-ms`, `--reset-gap-ms`, `--debounce-ms`): 0 to 24 h.
    static let pauseMilliseconds = Profile.Bounds.pauseMilliseconds
    /// Seconds given as a decimal (`watch --for`): above 0, up to 24 h.
    static let seconds = 86_400.0
    /// Resends of one download command (`flash --retries`, default 10): not a profile's step
    /// retries, so its own range; at 100 a dead board still fails within minutes at the default timeout.
    static let commandResends = 0...100
    /// Boards one station run decides before it stops (`--count`): a million, far beyond a shift.
    static let boardCount = 1...1_000_000
    /// Events `watch` shows before it stops (`watch --count`).
    static let eventCount = 1...1_000_000
    /// Simulated boards at once (`--simulate`): each is a flash model and a Lua runtime in process.
    static let simulatedBoards = 1...64
    /// Simulated boards at once in the QA server benchmark (`qa-server --bench-boards`).
    static let benchBoards = 1...1000
    /// TCP ports (`qa-server --https-port`; 0 = any free port).
    static let port = 0...65_535
    /// The packet size a simulated AgentBoot offers (`sim board --agent-packet`): the spec's real
    /// value is 16 KiB; the length field is 32-bit, 1 MiB keeps a buffer per packet reasonable.
    static let agentPacketBytes = 1...0x10_0000
    /// A simulated board's number (`sim gadget --board-number`): its IMEI and names derive from it.
    static let boardNumber = 0...999_999

    /// `value` when it lies in `range`, else a one-line refusal naming `option`.
    @discardableResult
    static func check(_ value: Int, _ option: String, _ range: ClosedRange<Int>, _ unit: String) throws(OptionError) -> Int {
        if let reason = Profile.Bounds.refusal(value, key: option, range: range, unit: unit) { throw OptionError(reason) }
        return value
    }

    /// Seconds as milliseconds, once they are a finite number above 0 and at most `seconds`:
    /// `Int(seconds * 1000)` traps on an infinite, NaN or huge value.
    static func milliseconds(fromSeconds value: Double, _ option: String) throws(OptionError) -> Int {
        guard value.isFinite, value > 0, value <= seconds else {
            throw OptionError("\(option) must be above 0 and at most \(Int(seconds)) s (got \(value))")
        }
        return max(1, Int((value * 1000).rounded(.up)))
    }
}

/// A command-line option whose value cannot be used: bad input, exit 2, one line.
struct OptionError: ProvisionFailure {
    let description: String
    init(_ description: String) { self.description = description }
    var exitCode: Int32 { ProvisionExit.inputError }
}
