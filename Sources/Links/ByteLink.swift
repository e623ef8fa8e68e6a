/// A bidirectional byte stream to one board port: a tty, a USB bulk pipe, or a simulated board.
///
/// The flasher and the verifier drive boards only through this protocol, so they run unchanged
/// over termios, libusb, or an in-memory simulated link in tests. Reads are bounded by a deadline
/// on the monotonic clock; an implementation never blocks past it.
public protocol ByteLink: Sendable {
    /// A human-readable name of the endpoint (device path, USB path), used in error messages.
    var name: String { get }

    /// Writes all of `bytes`, or throws.
    func write(_ bytes: [UInt8]) async throws

    /// Returns between 1 and `maxCount` bytes that have arrived, waiting until `deadline` at most.
    /// Throws `LinkError.timeout` when nothing arrived by then.
    func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8]

    /// Releases the link. Further reads and writes throw `LinkError.closed`. Idempotent.
    func close() async
}

/// What can go wrong on a link, independent of what the bytes mean.
public enum LinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing arrived before the deadline.
    case timeout(link: String)
    /// The link was closed by this side.
    case closed(link: String)
    /// The device went away (USB unplug, pty peer closed).
    case unplugged(link: String)
    /// Any other operating-system error.
    case io(link: String, reason: String)

    public var description: String {
        switch self {
        case .timeout(let link): return "\(link): no data before the deadline"
        case .closed(let link): return "\(link): link is closed"
        case .unplugged(let link): return "\(link): device unplugged"
        case .io(let link, let reason): return "\(link): \(reason)"
        }
    }
}

extension ByteLink {
    /// Reads exactly `count` bytes before `deadline`, or throws `LinkError.timeout`.
    public func read(exactly count: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            out += try await read(maxCount: count - out.count, deadline: deadline)
        }
        return out
    }
}
