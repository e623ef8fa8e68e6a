extension SimTiming {
    /// How long a board takes to appear on the bus in `mode` once its chip (re)started.
    public func enumeration(of mode: DeviceSideBoard.Mode) -> Duration {
        switch mode {
        case .running: return reEnumerateAfterReset
        case .download: return reEnumerateAfterBootEntry
        }
    }
}

extension DeviceSideBoard {
    /// How long a reset keeps a board off the bus unless its settings say otherwise.
    public static let defaultResetGap: Duration = .milliseconds(300)

    /// How long a reset keeps the board off the bus before it comes back in `mode`: the bus's
    /// reset gap, or the timing's re-enumeration figure when that is longer (realistic timing).
    public static func offBus(resetGap: Duration, timing: SimTiming, comingBackIn mode: Mode) -> Duration {
        max(resetGap, timing.enumeration(of: mode))
    }
}

extension DeviceSideBoard.Settings {
    public func offBus(comingBackIn mode: DeviceSideBoard.Mode) -> Duration {
        DeviceSideBoard.offBus(resetGap: resetGap, timing: timing, comingBackIn: mode)
    }
}
