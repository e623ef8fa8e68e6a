/// What a running simulated board does with the software boot entry on its x.2 port: what the
/// firmware does (`honours`), or one of the ways a real board has been seen to fail it, so each
/// boot-entry diagnosis of the station can be shown without hardware.
public enum BootEntryResponse: Sendable, Equatable {
    /// `AT+ECRST=delay,N` resets the board N ms later; with the diag frame it comes back in
    /// download mode (spec ec618 §8.4).
    case honours
    /// x.2 takes the bytes and nothing happens: no reset (a firmware without the AT handler).
    case ignoresEverything
    /// The reset happens but the diag frame is ignored: the board comes back running.
    case ignoresDownloadFrame
    /// The board resets and stays off the bus (a board that hangs in reset).
    case staysOffBusAfterReset
}
