import Links

/// A `BoardBus` made of pseudo-terminals: each shape the board takes gets fresh ptys, and the
/// shape (with the host-side paths) is announced through `onShape`, which stands in for the
/// kernel's uevents. Taking the board off the bus closes the ptys' device sides, so a host
/// holding one open sees it unplugged, as with a real USB tty.
public actor PseudoTerminalBus: BoardBus {
    private let onShape: @Sendable (BusShape) async -> Void
    private var open: [PseudoTerminal] = []

    public init(onShape: @escaping @Sendable (BusShape) async -> Void) {
        self.onShape = onShape
    }

    public func presentDownloadMode() async throws -> any ByteLink {
        await detachQuietly()
        let port = try PseudoTerminal.open()
        open = [port]
        await onShape(.download(port: port.path))
        return port.deviceLink
    }

    public func presentRunningMode() async throws -> RunningPorts {
        await detachQuietly()
        let socLog = try PseudoTerminal.open()
        let trace = try PseudoTerminal.open()
        let vuart = try PseudoTerminal.open()
        open = [socLog, trace, vuart]
        await onShape(.running(socLog: socLog.path, trace: trace.path, vuart: vuart.path))
        return RunningPorts(socLog: socLog.deviceLink, trace: trace.deviceLink, vuart: vuart.deviceLink)
    }

    public func detach() async {
        guard !open.isEmpty else { return }
        await detachQuietly()
        await onShape(.detached)
    }

    private func detachQuietly() async {
        for port in open { await port.close() }
        open = []
    }
}
