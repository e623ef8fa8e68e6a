/// One file of a LuaDB image: its flat name under `/luadb/` and its bytes.
public struct LuaDBFile: Equatable, Sendable {
    public let name: String
    public let bytes: [UInt8]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// Constants of the LuaDB format (`luatos-formats.md` §2).
public enum LuaDB {
    /// The magic TLV value: two u16 LE `0xA55A`.
    static let magic: [UInt8] = [0x5A, 0xA5, 0x5A, 0xA5]
    /// Format version written for `.soc` cores.
    public static let version: UInt16 = 2
    /// Header length Luatools writes into TLV 3 (the real 24-byte header size).
    static let luatoolsHeaderLength: UInt32 = 24
    /// The firmware copies names into a 32-byte buffer with a terminating NUL.
    public static let maxNameBytes = 31
    /// The firmware refuses a file count of 0 or above 1024 (the integrity entry included).
    public static let maxEntries = 1024
    /// Name of Luatools' trailing integrity entry: the MD5 of every byte before its data.
    public static let digestFileName = ".airm2m_all_crc#.bin"
    /// The reader gives up after this many header TLVs, as the firmware does.
    static let maxHeaderRecords = 128
}
