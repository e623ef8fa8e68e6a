#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation

/// A `ByteLink` over a file descriptor (tty, pty master). Blocking `poll`/`read`/`write` run on
/// private dispatch queues, never on the Swift concurrency pool, so a read waiting for its
/// deadline does not starve other tasks (a simulated board in the same process, timers).
// @unchecked: the descriptor is only touched on the two serial queues; `closed` is guarded by `lock`.
public final class FileDescriptorLink: ByteLink, @unchecked Sendable {
    public let name: String
    private let fd: Int32
    private let readQueue: DispatchQueue
    private let writeQueue: DispatchQueue
    private let lock = NSLock()
    private var closed = false
    /// Longest single `poll` wait, so `close()` is noticed by a pending read.
    private static let pollSlice: Int32 = 50

    /// Takes ownership of `fd` (closed by `close()`); sets it non-blocking.
    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
        self.readQueue = DispatchQueue(label: "link.read.\(name)")
        self.writeQueue = DispatchQueue(label: "link.write.\(name)")
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    private var isClosed: Bool { lock.withLock { closed } }

    public func write(_ bytes: [UInt8]) async throws {
        guard !isClosed else { throw LinkError.closed(link: name) }
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, Error>) in
            writeQueue.async { [self] in
                cont.resume(with: Result { try self.writeAll(bytes) })
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            if isClosed { throw LinkError.closed(link: name) }
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n > 0 { done += n; continue }
            let err = errno
            if n < 0 && (err == EAGAIN || err == EINTR) {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, Self.pollSlice)
                continue
            }
            throw mapError(err)
        }
    }

    public func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        guard !isClosed else { throw LinkError.closed(link: name) }
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<[UInt8], Error>) in
            readQueue.async { [self] in
                cont.resume(with: Result { try self.readSome(maxCount: maxCount, deadline: deadline) })
            }
        }
    }

    private func readSome(maxCount: Int, deadline: ContinuousClock.Instant) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max(1, maxCount))
        while true {
            if isClosed { throw LinkError.closed(link: name) }
            // Poll first: a raw tty with VMIN=0 reads 0 bytes both for "nothing yet" and for a
            // hang-up, and only poll tells them apart.
            let left = deadline - ContinuousClock.now
            let leftMs = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(max(0, min(Int64(Self.pollSlice), leftMs + 1))))
            if ready > 0 {
                if p.revents & Int16(POLLIN) != 0 {
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                    if n > 0 { return Array(buffer[0..<n]) }
                    if n == 0 { throw LinkError.unplugged(link: name) }
                    let err = errno
                    if err != EAGAIN && err != EINTR { throw mapError(err) }
                } else if p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                    throw LinkError.unplugged(link: name)
                }
            }
            if ContinuousClock.now >= deadline { throw LinkError.timeout(link: name) }
        }
    }

    private func mapError(_ err: Int32) -> LinkError {
        // EIO on a tty: the other side (USB device, pty peer) is gone.
        if err == EIO || err == ENXIO || err == ENODEV || err == EPIPE { return .unplugged(link: name) }
        return .io(link: name, reason: String(cString: strerror(err)))
    }

    public func close() async {
        let wasOpen = lock.withLock {
            let was = !closed
            closed = true
            return was
        }
        guard wasOpen else { return }
        // Let a pending poll slice finish before the descriptor number can be reused.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            readQueue.async { self.writeQueue.async { Glibc.close(self.fd); c.resume() } }
        }
    }
}

/// Opening a serial port (`/dev/ttyACM0`, a pty) as a `ByteLink`: raw 8N1, no flow control,
/// DTR asserted (spec §1.4; a pty has no modem lines, which is fine).
public enum SerialLink {
    /// Opens `path` raw at `baud` (ignored by USB CDC, but set anyway).
    public static func open(path: String, baud: Int = 921_600) throws -> FileDescriptorLink {
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            throw LinkError.io(link: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw LinkError.io(link: path, reason: "not a serial port: \(reason)")
        }
        cfmakeraw(&t)
        t.c_cflag |= tcflag_t(CLOCAL | CREAD)
        t.c_cflag &= ~tcflag_t(CRTSCTS)
        _ = cfsetspeed(&t, speed(for: baud))
        withUnsafeMutableBytes(of: &t.c_cc) { $0[Int(VMIN)] = 0; $0[Int(VTIME)] = 0 }
        guard tcsetattr(fd, TCSANOW, &t) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw LinkError.io(link: path, reason: "cannot configure: \(reason)")
        }
        var dtr = Int32(TIOCM_DTR)
        _ = ioctl(fd, UInt(TIOCMBIS), &dtr)   // ENOTTY on a pty: no modem lines there
        // Exclusive: a second open (ModemManager, another station process) gets EBUSY while we
        // flash. Best effort — root may still open it, and some test ttys refuse the ioctl.
        _ = ioctl(fd, UInt(TIOCEXCL))
        tcflush(fd, TCIOFLUSH)
        return FileDescriptorLink(fd: fd, name: path)
    }

    static func speed(for baud: Int) -> speed_t {
        switch baud {
        case 115_200: return speed_t(B115200)
        case 230_400: return speed_t(B230400)
        case 460_800: return speed_t(B460800)
        case 1_000_000: return speed_t(B1000000)
        case 1_152_000: return speed_t(B1152000)
        case 2_000_000: return speed_t(B2000000)
        case 3_000_000: return speed_t(B3000000)
        default: return speed_t(B921600)
        }
    }
}
