/// Opens a board's ports by the names its bus announced: device nodes on a real USB bus
/// (`/dev/ttyACM0`, a libusb device path), or names of in-memory ports a simulated bus handed
/// out. The board driver only ever opens ports through this, so one driver serves every bus.
public protocol BoardPorts: Sendable {
    /// A serial port (CDC ACM tty in download mode, x.2/x.6 when running).
    func openSerial(_ path: String, baud: Int) async throws -> any ByteLink
    /// The download port's bulk endpoints (libusb, no kernel driver).
    func openUSB(_ devnode: String) async throws -> any ByteLink
}

/// The machine's own device nodes: termios ttys and libusb.
public struct SystemBoardPorts: BoardPorts {
    public init() {}

    public func openSerial(_ path: String, baud: Int) async throws -> any ByteLink {
        try SerialLink.open(path: path, baud: baud)
    }

    public func openUSB(_ devnode: String) async throws -> any ByteLink {
        try await USBLink.open(path: devnode)
    }
}
