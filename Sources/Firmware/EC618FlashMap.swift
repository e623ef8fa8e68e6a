import LittleFS

/// Fixed facts of the EC618 flash layout (spec: ec618-download-protocol.md §6.4, mem_map.h).
/// Everything a package can say for itself (script address, sizes) is read from the package.
public enum EC618FlashMap {
    /// The chip family key in `info.json` `chip.type`.
    public static let chipType = "ec618"
    /// AP flash: 4 MiB, raw offsets 0x000000–0x400000.
    public static let apFlashSize = 4 * 1024 * 1024
    /// CP flash: 1 MiB, a separate device.
    public static let cpFlashSize = 1 * 1024 * 1024
    /// The NOR's smallest erase unit: a write erases every sector it touches, so protection is
    /// checked on writes rounded out to it (the AgentBoot's erase size is not public) [I].
    public static let sectorSize = 4 * 1024
    /// NOR erase block size used by the flash model and plan estimates.
    public static let eraseBlockSize = 64 * 1024
    /// The AP's XIP view of the AP flash starts here; pkgmode binpkg addresses and the script's
    /// FLEX burn address use this form.
    public static let apXIPBase: UInt32 = 0x0080_0000
    /// The AP's view of the CP flash (pkgmode binpkg CP address).
    public static let cpXIPBase: UInt32 = 0x0880_0000
    /// Start of the FOTA region; the script partition and its OTA staging area sit right below it
    /// (spec §6.2: script_addr = 0x304000 − (script + script OTA) KiB).
    public static let fotaRegionStart: UInt32 = 0x0030_4000
    /// Raw offsets of the core images in a legacy package (spec §6.5), used by the fixture writer.
    public static let bootloaderOffset: UInt32 = 0x4000
    public static let apImageOffset: UInt32 = 0x24000
    public static let cpImageOffset: UInt32 = 0x0

    /// The LittleFS file system mounted at `/` (288 KiB at 0x384000, spec §6.4 and §6.6a), as its
    /// littlefs geometry places it (the sources are cited there).
    public static let fileSystemRegion: (start: UInt32, size: Int) =
        (LittleFSGeometry.ec618Main.flashOffset, LittleFSGeometry.ec618Main.regionSize)
    /// The fskv key/value store: its own littlefs instance (64 KiB at 0x3CC000), as its geometry
    /// places it.
    public static let fskvRegion: (start: UInt32, size: Int) =
        (LittleFSGeometry.ec618FSKV.flashOffset, LittleFSGeometry.ec618FSKV.regionSize)

    /// What no plan may touch on any EC618 board. The CP-flash tail holds IP2, the CP NV defaults
    /// and the CP NV with the RF calibration tables (spec §6.4 from the SDK's `mem_map.h`; §6.1:
    /// `MergeRfTable_ec618.bin` lives at 0xCE000 and 0xE7000) [C]. The AP-flash tail above fskv
    /// holds factory and runtime NV, the hibernate backup and the platform config (§6.4) [C]; the
    /// vendor's own erase-all list leaves 0x3CC000–0x3E4000 alone (§6.6a) [I]. A profile adds
    /// more with `[flash] protected`.
    public static let protectedRegions: [ProtectedRegion] = [
        ProtectedRegion(name: "CP NV and RF calibration", storage: .cpFlash, start: 0xCD000, end: 0x10_0000),
        ProtectedRegion(name: "AP factory/runtime NV and platform config", storage: .apFlash,
                        start: fskvRegion.start + UInt32(fskvRegion.size), end: UInt32(apFlashSize)),
    ]

    /// Where a binpkg entry address lands: which flash and the raw offset inside it.
    /// Legacy packages give raw offsets (CP by type); pkgmode packages give XIP addresses.
    public static func placement(ofPackageAddress address: UInt32, kind: ImageKind) -> (FlashStorage, UInt32) {
        if address >= cpXIPBase { return (.cpFlash, address - cpXIPBase) }
        if address >= apXIPBase { return (.apFlash, address - apXIPBase) }
        return (kind == .cp ? .cpFlash : .apFlash, address)
    }

    /// Size in bytes of a flash chip.
    public static func size(of storage: FlashStorage) -> Int {
        storage == .apFlash ? apFlashSize : cpFlashSize
    }
}
