import Links

/// The USB side a simulated board shows itself on. In the kernel tier it is a configfs gadget
/// on `dummy_hcd` (the host sees a real `17D1:0001` or `19D1:0001`); in tests it is a set of
/// pseudo-terminals whose paths are announced to the host side directly.
///
/// A board is on the bus in one shape at a time: `presentDownloadMode` and `presentRunningMode`
/// replace whatever was shown before, `detach` takes the board off the bus (reset, unplug).
public protocol BoardBus: Sendable {
    /// Shows the board in download (BOOT) mode; returns the device side of its one port.
    func presentDownloadMode() async throws -> any ByteLink
    /// Shows the board running its firmware; returns the device sides of its ports.
    func presentRunningMode() async throws -> RunningPorts
    /// Takes the board off the bus. Idempotent.
    func detach() async
}

/// The device sides of a running board's ports (luatos-formats §5.1: x.2, x.4, x.6).
public struct RunningPorts: Sendable {
    /// x.2: SoC log out, AT commands and diag frames in (software boot entry arrives here).
    public let socLog: any ByteLink
    /// x.4: chip trace; a simulated board writes nothing there.
    public let trace: (any ByteLink)?
    /// x.6: the script's virtual UART.
    public let vuart: any ByteLink

    public init(socLog: any ByteLink, trace: (any ByteLink)?, vuart: any ByteLink) {
        self.socLog = socLog
        self.trace = trace
        self.vuart = vuart
    }
}

/// What the host side sees of a board on a bus, by the names of its ports (device nodes on a
/// real or gadget bus, pty paths, in-memory port names): what a bus announces in place of the
/// kernel's uevents.
public enum BusShape: Sendable, Equatable {
    case download(port: String)
    case running(socLog: String, trace: String, vuart: String)
    case detached
}
