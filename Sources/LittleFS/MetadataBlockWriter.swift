/// One metadata block holding a single commit (SPEC.md "Directories / Metadata pairs"): the
/// revision count, the entries' tags XOR-chained and big-endian, then (disk version 2.1) an FCRC
/// over the erased program unit after the commit, so the firmware may append without first
/// compacting, the commit CRC and padding to the program size. The rest stays erased (0xFF).
struct MetadataEntry {
    var type: UInt32
    var id: UInt32
    var data: [UInt8]
}

enum MetadataBlockWriter {
    static let revision: UInt32 = 1

    /// Bytes the commit takes before padding: revision, entries, FCRC and CRC.
    static func committedSize(of entries: [MetadataEntry]) -> Int {
        4 + entries.reduce(0) { $0 + 4 + $1.data.count } + LittleFSFormat.commitTrailer
    }

    static func encode(_ entries: [MetadataEntry], geometry: LittleFSGeometry) throws -> [UInt8] {
        let blockSize = geometry.blockSize, prog = geometry.progSize
        var block = [UInt8](repeating: 0xFF, count: blockSize)
        var off = 0
        func put(_ bytes: [UInt8]) {
            block.replaceSubrange(off..<off + bytes.count, with: bytes)
            off += bytes.count
        }
        let end = alignUp(committedSize(of: entries), prog)
        guard end <= blockSize else {
            throw LittleFSError.badGeometry("a directory's metadata (\(end) bytes) does not fit a \(blockSize)-byte block")
        }
        put(le32(revision))
        var crc = LittleFSCRC.update(LittleFSCRC.seed, block[0..<4])
        var previous: UInt32 = 0xFFFF_FFFF
        func putTag(_ tag: LittleFSTag, _ data: [UInt8]) {
            let stored = be32((tag.raw & 0x7FFF_FFFF) ^ previous)
            put(stored)
            put(data)
            crc = LittleFSCRC.update(crc, stored)
            crc = LittleFSCRC.update(crc, data)
            previous = tag.raw & 0x7FFF_FFFF
        }
        for e in entries {
            putTag(LittleFSTag(type: e.type, id: e.id, length: UInt32(e.data.count)), e.data)
        }
        // The FCRC covers the program unit after this commit as erased; a commit ending the
        // block has nothing after it to check.
        if geometry.writesFCRC && end + prog <= blockSize {
            let erased = LittleFSCRC.update(LittleFSCRC.seed, [UInt8](repeating: 0xFF, count: prog))
            putTag(LittleFSTag(type: LittleFSFormat.typeFCRC, id: LittleFSFormat.pairID, length: 8),
                   le32(UInt32(prog)) + le32(erased))
        }
        // The CRC tag's valid-state bit tells readers what the next commit's first valid bit must
        // be; the byte after the padding is erased (0xFF), so 0.
        let crcTag = LittleFSTag(type: LittleFSFormat.typeCommitCRC, id: LittleFSFormat.pairID,
                                 length: UInt32(end - off - 4))
        let stored = be32((crcTag.raw & 0x7FFF_FFFF) ^ previous)
        put(stored)
        crc = LittleFSCRC.update(crc, stored)
        put(le32(crc))
        return block
    }
}

func alignUp(_ value: Int, _ unit: Int) -> Int { (value + unit - 1) / unit * unit }
func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
