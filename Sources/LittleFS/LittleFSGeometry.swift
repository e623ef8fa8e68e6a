/// How a littlefs instance is laid out on its flash region: what the firmware passes to
/// `lfs_mount` (block device sizes, limits), so an image written here mounts on the board as is.
public struct LittleFSGeometry: Sendable, Equatable {
    /// Erase unit and the file system's logical block, in bytes.
    public var blockSize: Int
    public var blockCount: Int
    public var readSize: Int
    /// Commits are padded to this; also the size of the forward CRC the firmware checks before
    /// appending to a metadata block.
    public var progSize: Int
    public var cacheSize: Int
    public var lookaheadSize: Int
    /// Limits written into the superblock. The firmware refuses to mount an image whose
    /// superblock limit is larger than its own configured one.
    public var nameMax: Int
    public var fileMax: Int
    public var attrMax: Int
    public var blockCycles: Int
    /// Where the region sits in AP flash (for the flow phase that writes it; not stored on disk).
    public var flashOffset: UInt32
    /// The on-disk version written into the superblock. 2.1 adds forward CRCs, which drivers
    /// older than littlefs 2.6 cannot parse and whose 2.1 superblock they refuse to mount; a 2.0
    /// image mounts on every v2 driver (a 2.6+ driver upgrades it on its first write).
    public var diskVersion: UInt32

    public init(blockSize: Int, blockCount: Int, readSize: Int, progSize: Int, cacheSize: Int,
                lookaheadSize: Int, nameMax: Int, fileMax: Int, attrMax: Int, blockCycles: Int,
                flashOffset: UInt32, diskVersion: UInt32 = LittleFSFormat.diskVersion) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.readSize = readSize
        self.progSize = progSize
        self.cacheSize = cacheSize
        self.lookaheadSize = lookaheadSize
        self.nameMax = nameMax
        self.fileMax = fileMax
        self.attrMax = attrMax
        self.blockCycles = blockCycles
        self.flashOffset = flashOffset
        self.diskVersion = diskVersion
    }

    /// Whether commits carry a forward CRC (disk version 2.1 and later).
    var writesFCRC: Bool { diskVersion >= LittleFSFormat.diskVersion }

    public var regionSize: Int { blockSize * blockCount }

    /// Files up to this size live inside their directory's metadata (an inline struct); larger
    /// ones get a CTZ skip-list of data blocks. littlefs 2.7 (and the 2.8+ default `inline_max`)
    /// take the smallest of the tag length limit (0x3FE), the cache size, `attr_max` and 1/8 of
    /// a block.
    public var inlineMax: Int { min(LittleFSFormat.maxTagData, cacheSize, attrMax, blockSize / 8) }

    /// Refuses a geometry littlefs itself would refuse, or one this writer cannot lay out.
    public func validate() throws {
        func bad(_ reason: String) -> LittleFSError { .badGeometry(reason) }
        guard blockSize >= LittleFSFormat.minimumBlockSize, blockSize <= LittleFSFormat.maximumBlockSize else {
            throw bad("block size \(blockSize) is outside \(LittleFSFormat.minimumBlockSize)...\(LittleFSFormat.maximumBlockSize)")
        }
        guard blockCount >= 2, blockCount <= LittleFSFormat.maximumBlockCount else {
            throw bad("block count \(blockCount) is outside 2...\(LittleFSFormat.maximumBlockCount)")
        }
        guard readSize > 0, progSize > 0, cacheSize > 0 else { throw bad("read, prog and cache sizes must be positive") }
        guard cacheSize % readSize == 0, cacheSize % progSize == 0, blockSize % cacheSize == 0 else {
            throw bad("cache size \(cacheSize) must be a multiple of read/prog size and divide the block size \(blockSize)")
        }
        // A commit's padding must fit one CRC tag's length field (no multi-tag padding here).
        guard progSize <= LittleFSFormat.maxTagData - LittleFSFormat.commitTrailer else {
            throw bad("prog size \(progSize) is larger than this writer supports")
        }
        guard nameMax > 0, nameMax <= LittleFSFormat.maxNameMax else { throw bad("name_max \(nameMax) is outside 1...\(LittleFSFormat.maxNameMax)") }
        guard diskVersion >> 16 == 2, diskVersion & 0xFFFF <= LittleFSFormat.diskVersion & 0xFFFF else {
            throw bad("disk version \(diskVersion >> 16).\(diskVersion & 0xFFFF) (writes 2.0 and 2.1)")
        }
        guard fileMax > 0, attrMax >= 0, attrMax <= LittleFSFormat.maxTagData else { throw bad("file_max/attr_max out of range") }
    }
}

extension LittleFSGeometry {
    /// The fskv key/value store's own littlefs instance.
    /// openLuat/LuatOS `components/fskv/luat_fskv.c`: read/prog/cache 256, erase block 4096,
    /// lookahead 16, `name_max` 63, `file_max` 4096, `attr_max` 0 (= littlefs default 1022),
    /// `block_cycles` 200, block count = region length / 4096. Region: luatos-soc-2022
    /// `PLAT/device/target/board/ec618_0h00/common/inc/mem_map.h` `FLASH_FDB_REGION_START`
    /// 0x3CC000 .. `FLASH_FDB_REGION_END` 0x3DC000 (64 KiB).
    public static let ec618FSKV = LittleFSGeometry(
        blockSize: 4096, blockCount: 16, readSize: 256, progSize: 256, cacheSize: 256,
        lookaheadSize: 16, nameMax: 63, fileMax: 4096, attrMax: LittleFSFormat.defaultAttrMax,
        blockCycles: 200, flashOffset: 0x3CC000)

    /// The main LittleFS the firmware mounts at `/` (the EC618 platform's own littlefs, which also
    /// keeps the protocol stack's NVM files there: write it read-modify-write, see
    /// `LittleFSImage(geometry:keeping:)`).
    /// Region: luatos-soc-2022 `mem_map.h` `FLASH_FS_REGION_START` 0x384000 .. `FLASH_FS_REGION_END`
    /// 0x3CC000 (288 KiB = 72 blocks). Block/prog sizes are INFERRED: the EC618 `lfs_port.c` ships
    /// prebuilt in luatos-soc-2022 (only `PLAT/middleware/thirdparty/littlefs/port/lfs_port.h` is
    /// public, e.g. casterbn/luatos-soc-ec618); the Eigencomm SDK's `lfs_port.c` of the same API
    /// (LFS daemon task, `FLASH_FS_REGION_START`) sets read/prog/cache 256, erase 4096, lookahead
    /// 16, `block_cycles` 200 and `name_max`/`file_max`/`attr_max` 0, i.e. littlefs defaults.
    /// The littlefs version of that prebuilt library is not known either, so the image is written
    /// as disk version 2.0 (INFERRED choice: mountable by any v2 driver, see `diskVersion`).
    public static let ec618Main = LittleFSGeometry(
        blockSize: 4096, blockCount: 72, readSize: 256, progSize: 256, cacheSize: 256,
        lookaheadSize: 16, nameMax: LittleFSFormat.defaultNameMax, fileMax: LittleFSFormat.defaultFileMax,
        attrMax: LittleFSFormat.defaultAttrMax, blockCycles: 200, flashOffset: 0x384000,
        diskVersion: LittleFSFormat.diskVersion2_0)
}
