/// On-disk constants of littlefs v2 (littlefs-project/littlefs `SPEC.md`, disk version 2.1).
public enum LittleFSFormat {
    /// Disk version 2.1 (upper 16 bits major, lower minor): what littlefs 2.6+ (LuatOS ships 2.7)
    /// formats with; 2.1 adds the forward CRC (FCRC) tag.
    public static let diskVersion: UInt32 = 0x0002_0001
    /// Disk version 2.0: no forward CRCs; what littlefs 2.0–2.5 format and mount.
    public static let diskVersion2_0: UInt32 = 0x0002_0000
    public static let magic: [UInt8] = Array("littlefs".utf8)
    /// The magic sits at this offset of a superblock block: after the revision count and the
    /// superblock's name tag, which is always the first tag of the pair.
    public static let magicOffset = 8
    /// Tag length field: 10 bits, 0x3FF marks a deleted attribute.
    public static let maxTagData = 0x3FE
    public static let deletedLength: UInt32 = 0x3FF
    public static let nullBlock: UInt32 = 0xFFFF_FFFF

    /// littlefs' defaults when a config field is 0 (`LFS_NAME_MAX`, `LFS_FILE_MAX`, `LFS_ATTR_MAX`).
    public static let defaultNameMax = 255
    public static let defaultFileMax = 2_147_483_647
    public static let defaultAttrMax = 1022
    public static let maxNameMax = 1022

    /// CTZ pointers need room for 32-bit file sizes (SPEC.md: "minimum block size of 104 bytes").
    public static let minimumBlockSize = 128
    public static let maximumBlockSize = 1 << 20
    public static let maximumBlockCount = 1 << 20

    /// FCRC tag + data (12) and CRC tag + CRC (8): what closes a commit before its padding.
    static let commitTrailer = 20

    // Tag types (type3 = 3-bit type1 + 8-bit chunk).
    static let typeRegular: UInt32 = 0x001
    static let typeDirectory: UInt32 = 0x002
    static let typeSuperblock: UInt32 = 0x0FF
    static let typeDirStruct: UInt32 = 0x200
    static let typeInlineStruct: UInt32 = 0x201
    static let typeCTZStruct: UInt32 = 0x202
    static let typeCreate: UInt32 = 0x401
    static let typeDelete: UInt32 = 0x4FF
    static let typeCommitCRC: UInt32 = 0x500
    static let typeFCRC: UInt32 = 0x5FF
    static let typeSoftTail: UInt32 = 0x600
    static let typeHardTail: UInt32 = 0x601
    static let typeMoveState: UInt32 = 0x7FF
    /// The id of tags that belong to the pair itself (CRC, tail, global state).
    static let pairID: UInt32 = 0x3FF
}

/// A littlefs tag: valid bit, 11-bit type, 10-bit id, 10-bit length. Stored big-endian, XORed
/// with the previous tag of the commit log (SPEC.md "Metadata tags").
struct LittleFSTag: Equatable {
    var raw: UInt32

    init(raw: UInt32) { self.raw = raw }
    init(type: UInt32, id: UInt32, length: UInt32) {
        raw = (type & 0x7FF) << 20 | (id & 0x3FF) << 10 | (length & 0x3FF)
    }

    var isValid: Bool { raw & 0x8000_0000 == 0 }
    var type: UInt32 { (raw >> 20) & 0x7FF }
    var type1: UInt32 { (raw >> 28) & 0x7 }
    var chunk: UInt32 { (raw >> 20) & 0xFF }
    var id: UInt32 { (raw >> 10) & 0x3FF }
    var length: UInt32 { raw & 0x3FF }
    /// Bytes of data after the tag (a deleted attribute's tag carries none).
    var dataLength: Int { length == LittleFSFormat.deletedLength ? 0 : Int(length) }
}
