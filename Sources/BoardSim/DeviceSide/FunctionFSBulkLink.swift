#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Links

/// FunctionFS endpoint files have no `poll`, and a read blocks in the kernel until a packet
/// arrives (or the gadget is unbound: ESHUTDOWN). So a dedicated thread reads one packet at a
/// time into a buffer, and `read(maxCount:deadline:)` waits on that buffer with its deadline.
/// Reads ask for exactly one high-speed packet: a larger request would wait for a short
/// packet that a host sending a multiple of 512 bytes (libusb sends no zero-length packet)
/// never sends. The files are opened `O_NONBLOCK`, which makes I/O on a not-yet-enabled
/// endpoint fail with EAGAIN instead of blocking (the thread retries until the host configures
/// the device).
// @unchecked: `buffer`, `failure`, `closed` are guarded by `state`; the fds are touched by the
// reader thread (outFD) and the write queue (inFD) only, and closed by whichever finishes last.
public final class FunctionFSBulkLink: ByteLink, @unchecked Sendable {
    public let name: String
    private let outFD: Int32
    private let inFD: Int32
    private let state = NSCondition()
    private var buffer: [UInt8] = []
    private var failure: LinkError?
    private var closed = false
    private var readerRunning = true
    private let writeQueue: DispatchQueue
    private let waitQueue: DispatchQueue

    /// How long a write may wait for the host to read before it fails.
    static let writeTimeout: Duration = .seconds(10)
    /// How long the reader sleeps while the endpoint is not enabled.
    static let idleSleep: useconds_t = 5_000
    static let packet = Int(FunctionFSDescriptors.highSpeedPacket)

    /// Opens `ep1` and `ep2` under a FunctionFS mount whose descriptors were written (see `vendorBulk`).
    public static func open(mount: String, name: String) throws -> FunctionFSBulkLink {
        let outFD = Glibc.open(mount + "/ep1", O_RDWR | O_NONBLOCK)
        guard outFD >= 0 else { throw LinkError.io(link: name, reason: "\(mount)/ep1: \(Sysfs.lastError)") }
        let inFD = Glibc.open(mount + "/ep2", O_RDWR | O_NONBLOCK)
        guard inFD >= 0 else {
            let reason = Sysfs.lastError
            Glibc.close(outFD)
            throw LinkError.io(link: name, reason: "\(mount)/ep2: \(reason)")
        }
        return FunctionFSBulkLink(outFD: outFD, inFD: inFD, name: name)
    }

    private init(outFD: Int32, inFD: Int32, name: String) {
        self.outFD = outFD
        self.inFD = inFD
        self.name = name
        writeQueue = DispatchQueue(label: "link.ffs.write.\(name)")
        waitQueue = DispatchQueue(label: "link.ffs.wait.\(name)")
        let thread = Thread { [self] in readLoop() }
        thread.name = "ffs-reader"
        thread.start()
    }

    private func readLoop() {
        var packet = [UInt8](repeating: 0, count: Self.packet)
        while true {
            let stop = state.withLock { closed }
            if stop { break }
            let n = packet.withUnsafeMutableBytes { Glibc.read(outFD, $0.baseAddress!, $0.count) }
            if n > 0 {
                state.withLock {
                    buffer += packet[0..<n]
                    state.broadcast()
                }
                continue
            }
            if n == 0 { continue }  // a zero-length packet
            let err = errno
            if err == EAGAIN || err == EINTR {
                usleep(Self.idleSleep)  // not enabled yet (host not configured), or another reader
                continue
            }
            // ESHUTDOWN / ENODEV: the gadget was unbound under the read; the board is off the bus.
            state.withLock {
                if failure == nil {
                    failure = (err == ESHUTDOWN || err == ENODEV || err == ECONNRESET)
                        ? .unplugged(link: name) : .io(link: name, reason: String(cString: strerror(err)))
                }
                state.broadcast()
            }
            break
        }
        Glibc.close(outFD)
        state.withLock {
            readerRunning = false
            state.broadcast()
        }
    }

    public func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8], Error>) in
            waitQueue.async { [self] in
                c.resume(with: Result { try self.take(maxCount: max(1, maxCount), deadline: deadline) })
            }
        }
    }

    private func take(maxCount: Int, deadline: ContinuousClock.Instant) throws -> [UInt8] {
        state.lock()
        defer { state.unlock() }
        while true {
            if closed { throw LinkError.closed(link: name) }
            if !buffer.isEmpty {
                let n = min(maxCount, buffer.count)
                let out = Array(buffer[0..<n])
                buffer.removeFirst(n)
                return out
            }
            if let failure { throw failure }
            let left = deadline - .now
            if left <= .zero { throw LinkError.timeout(link: name) }
            let (s, atto) = min(left, .milliseconds(50)).components
            _ = state.wait(until: Date(timeIntervalSinceNow: Double(s) + Double(atto) / 1e18))
        }
    }

    public func write(_ bytes: [UInt8]) async throws {
        if state.withLock({ closed }) { throw LinkError.closed(link: name) }
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            writeQueue.async { [self] in c.resume(with: Result { try self.writeAll(bytes) }) }
        }
    }

    /// Writes in requests of at most 16 KiB. A write whose length is a multiple of the packet
    /// size ends with a separate 1-byte request, so the host's read ends on a short packet
    /// (FunctionFS sends no zero-length packet of its own).
    private func writeAll(_ bytes: [UInt8]) throws {
        var pieces: [Range<Int>] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 16 * 1024)
            pieces.append(start..<end)
            start = end
        }
        if bytes.count % Self.packet == 0, let last = pieces.popLast() {
            if last.count > 1 { pieces.append(last.lowerBound..<(last.upperBound - 1)) }
            pieces.append((last.upperBound - 1)..<last.upperBound)
        }
        let deadline = ContinuousClock.now + Self.writeTimeout
        for piece in pieces {
            while true {
                if state.withLock({ closed }) { throw LinkError.closed(link: name) }
                if let failure = state.withLock({ failure }) { throw failure }
                let n = bytes.withUnsafeBytes { Glibc.write(inFD, $0.baseAddress! + piece.lowerBound, piece.count) }
                if n == piece.count { break }
                let err = errno
                if n < 0 && (err == EAGAIN || err == EINTR) {
                    if ContinuousClock.now > deadline { throw LinkError.io(link: name, reason: "bulk IN not read by the host") }
                    usleep(Self.idleSleep)
                    continue
                }
                if n < 0 && (err == ESHUTDOWN || err == ENODEV || err == ECONNRESET) { throw LinkError.unplugged(link: name) }
                throw LinkError.io(link: name, reason: n < 0 ? String(cString: strerror(err)) : "short write \(n) of \(piece.count)")
            }
        }
    }

    /// Marks the link closed. The reader thread ends at its next return from the kernel (at
    /// once when the gadget is unbound); it closes ep1 itself, so the fd is never reused while
    /// a read is in flight.
    public func close() async {
        let wasOpen = state.withLock {
            let was = !closed
            closed = true
            state.broadcast()
            return was
        }
        guard wasOpen else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            writeQueue.async { [inFD] in
                Glibc.close(inFD)
                c.resume()
            }
        }
    }
}
