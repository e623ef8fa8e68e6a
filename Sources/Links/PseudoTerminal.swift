#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A pseudo-terminal pair for simulated boards: the board serves on `deviceLink` (the master),
/// clients open `path` (the slave) like a real `/dev/ttyACM0`.
///
/// The pty's termios is shared by both ends (linux-test-infra §3): raw mode is set here once,
/// before any client opens the slave, and never again, so the client's own settings stick.
public struct PseudoTerminal: Sendable {
    /// The slave device path, e.g. `/dev/pts/3`.
    public let path: String
    /// The master side.
    public let deviceLink: FileDescriptorLink
    /// A slave descriptor held open so the master never sees EIO before a client opens.
    private let keepAlive: KeepAlive

    /// The extra slave descriptor, released once a client is known to have the port open.
    // @unchecked: `fd` is only read/changed under `lock`.
    final class KeepAlive: @unchecked Sendable {
        private let lock = NSLock()
        private var fd: Int32
        init(_ fd: Int32) { self.fd = fd }
        func release() {
            lock.withLock {
                if fd >= 0 { Glibc.close(fd); fd = -1 }
            }
        }
    }

    public static func open() throws -> PseudoTerminal {
        // posix_openpt/grantpt/unlockpt are not in Swift's Glibc module; these are the Linux
        // ioctls they wrap (grantpt is a no-op with devpts).
        let master = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard master >= 0 else {
            throw LinkError.io(link: "pty", reason: "cannot open /dev/ptmx: \(String(cString: strerror(errno)))")
        }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, Self.tiocsptlck, &unlock) == 0, ioctl(master, Self.tiocgptn, &number) == 0 else {
            Glibc.close(master)
            throw LinkError.io(link: "pty", reason: "cannot unlock the pty: \(String(cString: strerror(errno)))")
        }
        let path = "/dev/pts/\(number)"
        let slave = Glibc.open(path, O_RDWR | O_NOCTTY)
        guard slave >= 0 else {
            Glibc.close(master)
            throw LinkError.io(link: path, reason: "cannot open the pty slave")
        }
        var t = termios()
        tcgetattr(slave, &t)
        cfmakeraw(&t)
        t.c_cflag |= tcflag_t(CLOCAL | CREAD)
        _ = cfsetspeed(&t, speed_t(B921600))
        tcsetattr(slave, TCSANOW, &t)
        return PseudoTerminal(path: path, deviceLink: FileDescriptorLink(fd: master, name: path + " (board side)"),
                              keepAlive: KeepAlive(slave))
    }

    /// `_IOW('T', 0x31, int)` and `_IOR('T', 0x30, unsigned int)` from <asm-generic/ioctls.h>.
    private static let tiocsptlck: UInt = 0x4004_5431
    private static let tiocgptn: UInt = 0x8004_5430

    /// Stops holding the slave open: once the client closes its side, reads on `deviceLink`
    /// report `.unplugged`. Call when a client is known to have the port open.
    public func releaseSlave() { keepAlive.release() }

    /// After the board's last answer: waits until the client has closed the port (so the
    /// answer is not lost with the master) or `limit` passes.
    public func lingerUntilClientCloses(limit: Duration) async {
        releaseSlave()
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            do { _ = try await deviceLink.read(maxCount: 4096, deadline: end) } catch { return }
        }
    }

    /// Closes both ends.
    public func close() async {
        await deviceLink.close()
        keepAlive.release()
    }
}
