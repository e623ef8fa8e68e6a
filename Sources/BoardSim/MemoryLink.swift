import Links

/// An in-memory `ByteLink` pair: what one end writes, the other reads. Lets tests run the
/// flasher against a `SimulatedBoard` in one process without a pseudo-terminal.
public struct MemoryLink: ByteLink {
    public let name: String
    private let inbound: ByteChannel
    private let outbound: ByteChannel

    /// Two connected ends: `host` for the flasher, `device` for the simulated board.
    public static func pair(name: String = "memory-link") -> (host: MemoryLink, device: MemoryLink) {
        let toDevice = ByteChannel(), toHost = ByteChannel()
        return (MemoryLink(name: name, inbound: toHost, outbound: toDevice),
                MemoryLink(name: name + " (board side)", inbound: toDevice, outbound: toHost))
    }

    private init(name: String, inbound: ByteChannel, outbound: ByteChannel) {
        self.name = name
        self.inbound = inbound
        self.outbound = outbound
    }

    public func write(_ bytes: [UInt8]) async throws {
        if let error = await outbound.append(bytes, link: name) { throw error }
    }

    public func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        try await inbound.take(maxCount: maxCount, deadline: deadline, link: name)
    }

    /// Closes this end: its own reads and writes fail with `.closed`; the peer reads what is
    /// still buffered, then `.unplugged`.
    public func close() async {
        await inbound.closeReader()
        await outbound.closeWriter()
    }
}

/// One direction of a `MemoryLink`.
actor ByteChannel {
    private var buffer: [UInt8] = []
    private var start = 0
    private var writerClosed = false
    private var readerClosed = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var waitID = 0

    func append(_ bytes: [UInt8], link: String) -> LinkError? {
        if writerClosed { return .closed(link: link) }
        if readerClosed { return .unplugged(link: link) }
        buffer += bytes
        wake()
        return nil
    }

    func take(maxCount: Int, deadline: ContinuousClock.Instant, link: String) async throws -> [UInt8] {
        while true {
            if readerClosed { throw LinkError.closed(link: link) }
            if start < buffer.count {
                let end = min(buffer.count, start + max(1, maxCount))
                let out = Array(buffer[start..<end])
                start = end
                if start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
                else if start > 1 << 16 { buffer.removeFirst(start); start = 0 }
                return out
            }
            if writerClosed { throw LinkError.unplugged(link: link) }
            if ContinuousClock.now >= deadline { throw LinkError.timeout(link: link) }
            await wait(until: deadline)
        }
    }

    func closeReader() { readerClosed = true; wake() }
    func closeWriter() { writerClosed = true; wake() }

    private func wait(until deadline: ContinuousClock.Instant) async {
        waitID += 1
        let id = waitID
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.timeout(id)
        }
        await withCheckedContinuation { waiter = $0 }
        timer.cancel()
    }

    private func timeout(_ id: Int) { if id == waitID { wake() } }

    private func wake() {
        if let w = waiter { waiter = nil; w.resume() }
    }
}
