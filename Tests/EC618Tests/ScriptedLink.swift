import Links

/// A `ByteLink` that plays the device side of a fixed transcript: every host write must be the
/// next `H>D` unit, byte for byte; the `D>H` units that follow it become readable. A write that
/// differs is recorded and fails the link, so a test sees exactly where the host went wrong.
actor ScriptedLink: ByteLink {
    enum Unit: Sendable { case host([UInt8]), device([UInt8]) }

    nonisolated let name = "scripted"
    private var units: [Unit]
    private var position = 0
    private var readable: [UInt8] = []
    private(set) var mismatch: String?

    init(_ units: [Unit]) {
        // The transcript may open with device output; the first write delivers it otherwise.
        self.units = units
    }

    var finished: Bool { position == units.count }

    func write(_ bytes: [UInt8]) async throws {
        guard position < units.count, case .host(let expected) = units[position] else {
            mismatch = "unit \(position): unexpected write \(bytes.prefix(12))"
            throw LinkError.io(link: name, reason: mismatch!)
        }
        guard expected == bytes else {
            mismatch = "unit \(position): wrote \(bytes.prefix(16)), transcript has \(expected.prefix(16))"
            throw LinkError.io(link: name, reason: mismatch!)
        }
        position += 1
        deliverDeviceUnits()
    }

    private func deliverDeviceUnits() {
        while position < units.count, case .device(let bytes) = units[position] {
            readable += bytes
            position += 1
        }
    }

    func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        deliverDeviceUnits()
        if readable.isEmpty {
            try? await Task.sleep(until: deadline, clock: .continuous)
            throw LinkError.timeout(link: name)
        }
        let n = min(maxCount, readable.count)
        defer { readable.removeFirst(n) }
        return Array(readable.prefix(n))
    }

    func close() async {}
}
