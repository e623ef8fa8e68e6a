/// Which flash chip an image lands in. The EC618 has the AP flash (4 MiB, XIP at 0x800000) and a
/// separate CP flash (1 MiB).
public enum FlashStorage: String, Sendable, Codable, Equatable {
    case apFlash = "ap_flash"
    case cpFlash = "cp_flash"
}

/// What an image is, which decides how the download protocol announces it.
public enum ImageKind: String, Sendable, Codable, Equatable, CaseIterable {
    case bootloader = "BL"
    case ap = "AP"
    case cp = "CP"
    /// The LuaDB script image (`script.bin`), burnt as a flex file at `script_addr`.
    case script = "SCRIPT"
    /// One board's own data: a littlefs image of the fskv or the file-system region, burnt as a
    /// flex file at the region's start like the script (`RegionRewrite` in EC618).
    case boardData = "DATA"
}

/// One image of a flash plan, with its bytes.
public struct FlashImage: Sendable, Equatable {
    public let kind: ImageKind
    /// Name inside the package (binpkg entry name, or the script member's name).
    public let name: String
    public let storage: FlashStorage
    /// Raw offset inside the flash chip where the first byte lands.
    public let flashOffset: UInt32
    /// The address exactly as the package declared it (legacy `0x4000` or pkgmode `0x804000` style).
    public let packageAddress: UInt32
    /// Bytes the package reserves for this region, when it says so.
    public let reservedSize: UInt32?
    public let bytes: [UInt8]
    /// SHA-256 of `bytes`, lowercase hex.
    public let sha256: String

    public var size: Int { bytes.count }

    public init(kind: ImageKind, name: String, storage: FlashStorage, flashOffset: UInt32,
                packageAddress: UInt32, reservedSize: UInt32?, bytes: [UInt8]) {
        self.kind = kind
        self.name = name
        self.storage = storage
        self.flashOffset = flashOffset
        self.packageAddress = packageAddress
        self.reservedSize = reservedSize
        self.bytes = bytes
        self.sha256 = SHA256Hex.of(bytes)
    }
}

/// Where the LuaDB script image goes and how large it may be (from `info.json`).
public struct ScriptPartition: Sendable, Equatable {
    /// Raw AP-flash offset (`download.script_addr`).
    public let flashOffset: UInt32
    /// Capacity in bytes (`rom.fs.script.size` KiB × 1024).
    public let capacity: Int

    public init(flashOffset: UInt32, capacity: Int) {
        self.flashOffset = flashOffset
        self.capacity = capacity
    }
}

/// The ordered images to write to one board: bootloader, AP, CP (a full flash), then the
/// script image when there is one. A script-only plan holds just the script.
public struct FlashPlan: Sendable, Equatable {
    public let images: [FlashImage]
    public let scriptPartition: ScriptPartition

    public init(images: [FlashImage], scriptPartition: ScriptPartition) {
        self.images = images
        self.scriptPartition = scriptPartition
    }

    /// Total image bytes to be burnt.
    public var totalBytes: Int { images.reduce(0) { $0 + $1.size } }

    /// The script image of this plan, if any.
    public var script: FlashImage? { images.first { $0.kind == .script } }

    /// This plan with `bytes` as its script image (replacing any script it had).
    /// Throws `FirmwareError` naming `source` when the image is larger than the partition.
    public func withScript(_ bytes: [UInt8], name: String = "script.bin", source: String) throws -> FlashPlan {
        let image = try scriptImage(bytes, name: name, source: source)
        return FlashPlan(images: images.filter { $0.kind != .script } + [image], scriptPartition: scriptPartition)
    }

    /// A plan that writes only `bytes` as the script image (script-only flash).
    public func scriptOnly(_ bytes: [UInt8], name: String = "script.bin", source: String) throws -> FlashPlan {
        FlashPlan(images: [try scriptImage(bytes, name: name, source: source)], scriptPartition: scriptPartition)
    }

    /// This plan without its script image: the core only.
    public var coreOnly: FlashPlan {
        FlashPlan(images: images.filter { $0.kind != .script }, scriptPartition: scriptPartition)
    }

    private func scriptImage(_ bytes: [UInt8], name: String, source: String) throws -> FlashImage {
        guard bytes.count <= scriptPartition.capacity else {
            throw FirmwareError(file: source, reason:
                "script image is \(bytes.count) bytes, \(bytes.count - scriptPartition.capacity) bytes over the "
                + "\(scriptPartition.capacity)-byte script partition")
        }
        return FlashImage(kind: .script, name: name, storage: .apFlash, flashOffset: scriptPartition.flashOffset,
                          packageAddress: scriptPartition.flashOffset, reservedSize: UInt32(scriptPartition.capacity),
                          bytes: bytes)
    }
}
