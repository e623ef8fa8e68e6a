import Crypto

/// Writes LuaDB images in the Luatools form (spec §2.5): v2 header with header length 24,
/// 16-bit byte-sum checksums, and the trailing `.airm2m_all_crc#.bin` MD5 entry.
public enum LuaDBWriter {
    /// The image holding `files` in order, plus the integrity entry.
    /// - Throws: `LuaImageError` (naming `source`) for names the firmware cannot hold
    ///   (empty, > 31 bytes, containing `/` or NUL), duplicates, or too many files.
    public static func write(_ files: [LuaDBFile], source: String = "script.bin") throws -> [UInt8] {
        try validate(files, source: source)
        var w = ByteWriter(capacity: files.reduce(64) { $0 + $1.bytes.count + 48 })
        let headerStart = w.bytes.count
        w.u8(0x01); w.u8(4); w.append(LuaDB.magic)
        w.u8(0x02); w.u8(2); w.unsigned(UInt64(LuaDB.version), width: 2)
        w.u8(0x03); w.u8(4); w.unsigned(UInt64(LuaDB.luatoolsHeaderLength), width: 4)
        w.u8(0x04); w.u8(2); w.unsigned(UInt64(files.count + 1), width: 2)
        appendChecksum(from: headerStart, into: &w)
        for f in files { appendEntry(name: Array(f.name.utf8), data: f.bytes, into: &w) }
        // The digest covers everything before its own 16 data bytes, its entry header included.
        appendEntryHeader(name: Array(LuaDB.digestFileName.utf8), size: 16, into: &w)
        w.append(Insecure.MD5.hash(data: w.bytes))
        return w.bytes
    }

    static func validate(_ files: [LuaDBFile], source: String) throws {
        guard files.count + 1 <= LuaDB.maxEntries else {
            throw LuaImageError(file: source, reason: "\(files.count) files; a LuaDB holds at most "
                + "\(LuaDB.maxEntries - 1) (plus its integrity entry)")
        }
        var seen = Set<String>()
        for f in files {
            let n = f.name.utf8.count
            guard n > 0 else { throw LuaImageError(file: source, reason: "a file has an empty name") }
            guard n <= LuaDB.maxNameBytes else {
                throw LuaImageError(file: f.name, reason: "name is \(n) bytes; the firmware reads at most "
                    + "\(LuaDB.maxNameBytes)")
            }
            guard !f.name.contains("/"), !f.name.utf8.contains(0) else {
                throw LuaImageError(file: f.name, reason: "LuaDB names are flat: no '/' or NUL")
            }
            guard f.name != LuaDB.digestFileName else {
                throw LuaImageError(file: f.name, reason: "name is reserved for the image's integrity entry")
            }
            guard f.bytes.count <= Int(UInt32.max) else {
                throw LuaImageError(file: f.name, reason: "file is larger than 4 GiB")
            }
            guard seen.insert(f.name).inserted else {
                throw LuaImageError(file: f.name, reason: "two files would be stored under the same name")
            }
        }
    }

    private static func appendEntry(name: [UInt8], data: [UInt8], into w: inout ByteWriter) {
        appendEntryHeader(name: name, size: UInt32(data.count), into: &w)
        w.append(data)
    }

    private static func appendEntryHeader(name: [UInt8], size: UInt32, into w: inout ByteWriter) {
        let start = w.bytes.count
        w.u8(0x01); w.u8(4); w.append(LuaDB.magic)
        w.u8(0x02); w.u8(UInt8(name.count)); w.append(name)
        w.u8(0x03); w.u8(4); w.unsigned(UInt64(size), width: 4)
        appendChecksum(from: start, into: &w)
    }

    /// `FE 02` and the 16-bit LE sum of every byte from `start` through the `FE 02` (Luatools).
    private static func appendChecksum(from start: Int, into w: inout ByteWriter) {
        w.u8(0xFE); w.u8(2)
        let sum = w.bytes[start...].reduce(0) { $0 &+ UInt32($1) }
        w.unsigned(UInt64(sum & 0xFFFF), width: 2)
    }
}
