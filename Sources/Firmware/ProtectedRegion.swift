/// A range of one flash chip that no plan may write or erase: RF calibration, NV, or whatever a
/// profile adds. A full-chip erase destroys the calibration and ruins the module, so the flasher
/// refuses such a plan before any board is touched (and never issues an erase at all).
public struct ProtectedRegion: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let storage: FlashStorage
    /// Raw offset of the first protected byte inside the chip.
    public let start: UInt32
    /// Raw offset one past the last protected byte.
    public let end: UInt32

    public init(name: String, storage: FlashStorage, start: UInt32, end: UInt32) {
        self.name = name
        self.storage = storage
        self.start = start
        self.end = end
    }

    public var description: String {
        "\(name) (\(storage.rawValue) \(Self.hex(start))–\(Self.hex(end)))"
    }

    /// Whether writing `[offset, offset + count)` of `storage` touches this region: the write is
    /// rounded out to whole sectors, which the flash erases before programming.
    public func overlaps(storage: FlashStorage, offset: UInt32, count: Int) -> Bool {
        guard storage == self.storage, count > 0 else { return false }
        let sector = UInt64(EC618FlashMap.sectorSize)
        let first = UInt64(offset) / sector * sector
        let last = (UInt64(offset) + UInt64(count) + sector - 1) / sector * sector
        return first < UInt64(end) && UInt64(start) < last
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16, uppercase: true) }
}

/// The write check every plan passes before a board is touched: each image lies inside its chip
/// and outside every protected region.
public struct FlashWriteGuard: Sendable, Equatable {
    public let protected: [ProtectedRegion]

    /// The built-in EC618 regions plus `extra` (a profile's `[flash] protected`).
    public init(extra: [ProtectedRegion] = []) {
        protected = EC618FlashMap.protectedRegions + extra
    }

    /// Throws naming `source`, the image and the region when a write would land where it must not.
    public func check(_ plan: FlashPlan, source: String) throws {
        for image in plan.images {
            try check(write: image.name, storage: image.storage, offset: image.flashOffset, count: image.size,
                      source: source)
        }
        let partition = plan.scriptPartition
        try check(write: "the script partition", storage: .apFlash, offset: partition.flashOffset,
                  count: partition.capacity, source: source)
    }

    /// Throws when `[offset, offset + count)` of `storage` leaves the chip or touches a protected region.
    public func check(write what: String, storage: FlashStorage, offset: UInt32, count: Int, source: String) throws {
        let chip = EC618FlashMap.size(of: storage)
        let (end, overflow) = Int(offset).addingReportingOverflow(count)
        guard count >= 0, !overflow, end <= chip else {
            throw FirmwareError(file: source, reason: "\(what) (\(count) bytes at \(ProtectedRegion.hex(offset))) "
                                + "runs past the end of the \(chip / 1024) KiB \(storage.rawValue)")
        }
        if let region = protected.first(where: { $0.overlaps(storage: storage, offset: offset, count: count) }) {
            throw FirmwareError(file: source, reason: "\(what) (\(count) bytes at \(ProtectedRegion.hex(offset)) "
                                + "in \(storage.rawValue)) would overwrite the protected region \(region); refused "
                                + "before any board is touched")
        }
    }
}
