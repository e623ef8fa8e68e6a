import Crypto

/// A parsed LuaDB image.
public struct LuaDBImage: Equatable, Sendable {
    /// Header format version (2 for `.soc` cores).
    public let version: UInt16
    /// The user's files in image order, without the integrity entry.
    public let files: [LuaDBFile]
    /// True when the image carries Luatools' MD5 integrity entry (it was checked).
    public let hasDigest: Bool
    /// Bytes the image occupies; anything after it in a flash region is not part of it.
    public let size: Int
}

/// Reads LuaDB images with the firmware's rules (spec §2.2–2.3) and, when present, checks the
/// trailing MD5 entry (§2.5), so a truncated or corrupted image is refused with a reason.
public enum LuaDBReader {
    /// The files of `bytes` (without the integrity entry).
    public static func read(_ bytes: [UInt8], file: String = "script.bin") throws -> [LuaDBFile] {
        try parse(bytes, file: file).files
    }

    /// Parses `bytes`; trailing bytes after the last entry (erased flash) are allowed.
    public static func parse(_ bytes: [UInt8], file: String = "script.bin") throws -> LuaDBImage {
        var r = ByteReader(bytes, file: file, what: "LuaDB")
        var sums = ChecksumCheck()
        var magicOK = false, version: UInt16 = 0, headerLength: UInt32 = 0, count = 0, terminated = false
        for _ in 0..<LuaDB.maxHeaderRecords {
            let type = try r.u8("header record type"), length = Int(try r.u8("header record length"))
            func want(_ n: Int, _ what: String) throws {
                guard length == n else { throw r.failure("header \(what) record has length \(length), expected \(n)") }
            }
            switch type {
            case 0x01:
                try want(4, "magic")
                guard try r.take(4, "magic") == LuaDB.magic else { throw r.failure("bad magic: not a LuaDB image") }
                magicOK = true
            case 0x02: try want(2, "version"); version = UInt16(try r.unsigned(width: 2, "version"))
            case 0x03: try want(4, "header length"); headerLength = UInt32(try r.unsigned(width: 4, "header length"))
            case 0x04: try want(2, "file count"); count = Int(try r.unsigned(width: 2, "file count"))
            case 0xFE:
                try want(2, "checksum")
                let sum = sums.sum(bytes[0..<r.offset])
                sums.header(stored: UInt16(try r.unsigned(width: 2, "header checksum")), computed: sum)
                terminated = true
            default: _ = try r.take(length, "header record 0x\(String(type, radix: 16))")
            }
            if terminated { break }
        }
        guard magicOK else { throw r.failure("no magic: not a LuaDB image") }
        guard terminated else { throw r.failure("header has no end record within \(LuaDB.maxHeaderRecords) records") }
        guard version != 0 else { throw r.failure("format version is 0") }
        guard headerLength != 0 else { throw r.failure("header length is 0") }
        guard (1...LuaDB.maxEntries).contains(count) else {
            throw r.failure("file count \(count), the firmware accepts 1...\(LuaDB.maxEntries)")
        }
        guard sums.headerValid else { throw r.failure("corrupted: header checksum does not match the header bytes") }
        var entries: [(LuaDBFile, dataOffset: Int)] = []
        for index in 0..<count {
            let field = "entry \(index + 1) of \(count)"
            let entryStart = r.offset
            guard try r.u8(field) == 0x01, try r.u8(field) == 4 else { throw r.failure("\(field): no entry magic record") }
            _ = try r.take(4, "\(field) magic")
            guard try r.u8(field) == 0x02 else { throw r.failure("\(field): no name record") }
            let nameLength = Int(try r.u8("\(field) name length"))
            let nameBytes = try r.take(nameLength, "\(field) name")
            guard nameLength > 0, nameLength <= LuaDB.maxNameBytes, !nameBytes.contains(0) else {
                throw r.failure("\(field): name of \(nameLength) bytes, the firmware needs 1...\(LuaDB.maxNameBytes)")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard try r.u8(field) == 0x03, try r.u8(field) == 4 else {
                throw r.failure("\(field) (\(name)): no size record")
            }
            let size = Int(try r.unsigned(width: 4, "\(field) size"))
            guard try r.u8(field) == 0xFE, try r.u8(field) == 2 else {
                throw r.failure("\(field) (\(name)): no end record")
            }
            let computed = sums.sum(bytes[entryStart..<r.offset])
            guard sums.entryMatches(stored: UInt16(try r.unsigned(width: 2, "\(field) checksum")), computed: computed) else {
                throw r.failure("corrupted: \(field) (\(name)) checksum does not match its header bytes")
            }
            let dataOffset = r.offset
            entries.append((LuaDBFile(name: name, bytes: try r.take(size, "\(field) (\(name)) data")), dataOffset))
        }
        var files = entries.map { $0.0 }
        var hasDigest = false
        if let (last, dataOffset) = entries.last, last.name == LuaDB.digestFileName {
            guard last.bytes.count == 16 else {
                throw r.failure("integrity entry holds \(last.bytes.count) bytes, expected a 16-byte MD5")
            }
            guard Array(Insecure.MD5.hash(data: bytes[0..<dataOffset])) == last.bytes else {
                throw r.failure("corrupted: MD5 of the image does not match its integrity entry")
            }
            files.removeLast()
            hasDigest = true
        }
        var seen = Set<String>()
        for f in files where !seen.insert(f.name).inserted {
            throw r.failure("two entries are named \(f.name)")
        }
        return LuaDBImage(version: version, files: files, hasDigest: hasDigest, size: r.offset)
    }
}

/// Luatools writes 16-bit byte sums into the header and every entry (spec §2.4); other tools
/// write `FF FF` or `00 00`, which the firmware ignores. When the header carries a real sum, every
/// entry must too, so a corrupted image is caught even where the MD5 entry cannot help.
private struct ChecksumCheck {
    private(set) var headerValid = true
    private var entriesSummed = false

    func sum(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        UInt16(truncatingIfNeeded: bytes.reduce(UInt32(0)) { $0 &+ UInt32($1) })
    }

    mutating func header(stored: UInt16, computed: UInt16) {
        entriesSummed = stored == computed
        headerValid = entriesSummed || stored == 0xFFFF || stored == 0x0000
    }

    func entryMatches(stored: UInt16, computed: UInt16) -> Bool {
        !entriesSummed || stored == computed
    }
}
