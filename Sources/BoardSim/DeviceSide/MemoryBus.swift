import Links
import Synchronization

/// A `BoardBus` in memory: each shape the board takes gets fresh ports, registered by name in a
/// `MemoryBoardPorts` the host side opens them through, and the shape is announced through
/// `onShape` in place of the kernel's uevents. Nothing touches the kernel, so a station can run
/// dozens of simulated boards through its one real-board driver at full speed.
public actor MemoryBus: BoardBus {
    private let name: String
    private let ports: MemoryBoardPorts
    private let onShape: @Sendable (BusShape) async -> Void
    private var shown: [MemoryPort] = []
    /// Counts the shapes shown, so a port name is never reused (a stale name fails to open).
    private var generation = 0

    /// `name` prefixes the port names (one per slot, e.g. `sim-3`).
    public init(name: String, ports: MemoryBoardPorts, onShape: @escaping @Sendable (BusShape) async -> Void) {
        self.name = name
        self.ports = ports
        self.onShape = onShape
    }

    public func presentDownloadMode() async throws -> any ByteLink {
        await detachQuietly()
        let port = show("download")
        await onShape(.download(port: port.name))
        return port.deviceSide
    }

    public func presentRunningMode() async throws -> RunningPorts {
        await detachQuietly()
        let socLog = show("x2"), trace = show("x4"), vuart = show("x6")
        await onShape(.running(socLog: socLog.name, trace: trace.name, vuart: vuart.name))
        return RunningPorts(socLog: socLog.deviceSide, trace: trace.deviceSide, vuart: vuart.deviceSide)
    }

    public func detach() async {
        guard !shown.isEmpty else { return }
        await detachQuietly()
        await onShape(.detached)
    }

    private func show(_ function: String) -> MemoryPort {
        generation += 1
        let port = MemoryPort(name: "mem:\(name)/\(generation)/\(function)")
        ports.register(port)
        shown.append(port)
        return port
    }

    private func detachQuietly() async {
        for port in shown {
            ports.unregister(port.name)
            await port.detach()
        }
        shown = []
    }
}

/// The host side of every `MemoryBus` of a station: opens a port by the name its bus announced,
/// as `SystemBoardPorts` opens a device node.
public final class MemoryBoardPorts: BoardPorts {
    private let byName = Mutex<[String: MemoryPort]>([:])

    public init() {}

    public func openSerial(_ path: String, baud: Int) async throws -> any ByteLink {
        guard let port = byName.withLock({ $0[path] }) else {
            throw LinkError.io(link: path, reason: "no such port (the board is not on the bus in that shape)")
        }
        return try await port.openHostSide()
    }

    public func openUSB(_ devnode: String) async throws -> any ByteLink {
        throw LinkError.io(link: devnode, reason: "a memory bus has ports, not USB endpoints; use the tty link")
    }

    func register(_ port: MemoryPort) { byName.withLock { $0[port.name] = port } }
    func unregister(_ name: String) { _ = byName.withLock { $0.removeValue(forKey: name) } }
}

/// One port of a board on a memory bus. Like a USB tty, the host may open and close it many
/// times while the board stays on the bus (the device side then just sees no data), and when
/// the board leaves, the host's open port fails as unplugged.
actor MemoryPort {
    nonisolated let name: String
    /// The host's open session: the pair its bytes cross, and a number telling sessions apart.
    private var session: (number: Int, host: MemoryLink, device: MemoryLink)?
    private var sessions = 0
    private var detached = false

    init(name: String) { self.name = name }

    nonisolated var deviceSide: any ByteLink { MemoryPortDeviceSide(port: self) }

    func openHostSide() throws -> MemoryLink {
        guard !detached else { throw LinkError.unplugged(link: name) }
        if let old = session { Task { await old.device.close() } }
        sessions += 1
        let (host, device) = MemoryLink.pair(name: name)
        session = (sessions, host, device)
        return host
    }

    /// How often a device side with no host session looks again (a board waits for its host).
    private static let idleLook: Duration = .milliseconds(10)

    func deviceRead(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        while true {
            if detached { throw LinkError.closed(link: name + " (board side)") }
            guard let current = session else {
                if ContinuousClock.now >= deadline { throw LinkError.timeout(link: name + " (board side)") }
                try await Task.sleep(until: min(deadline, .now + Self.idleLook), clock: .continuous)
                continue
            }
            do {
                return try await current.device.read(maxCount: maxCount, deadline: deadline)
            } catch LinkError.unplugged {
                // The host closed its session; the board stays on the bus for the next one.
                if session?.number == current.number { session = nil }
            }
        }
    }

    func deviceWrite(_ bytes: [UInt8]) async throws {
        if detached { throw LinkError.closed(link: name + " (board side)") }
        // With no host session the bytes are lost, as a tty's are when nobody has it open.
        try? await session?.device.write(bytes)
    }

    func detach() async {
        detached = true
        if let session { await session.device.close() }
        session = nil
    }
}

/// The board's end of a `MemoryPort`.
struct MemoryPortDeviceSide: ByteLink {
    let port: MemoryPort
    var name: String { port.name + " (board side)" }

    func write(_ bytes: [UInt8]) async throws { try await port.deviceWrite(bytes) }

    func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        try await port.deviceRead(maxCount: maxCount, deadline: deadline)
    }

    func close() async { await port.detach() }
}
