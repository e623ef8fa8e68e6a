/// Reads a metadata pair as the firmware does: of its two blocks the one with the newer revision
/// count (sequence comparison) that holds at least one commit whose CRC checks; commits are
/// replayed in order up to the first tag that is not valid or commit that fails its CRC (a torn
/// write the firmware also ignores). Every length and block number is bounds-checked.
struct MetadataPair {
    struct Entry {
        var nameType: UInt32?
        var name: [UInt8] = []
        var structType: UInt32?
        var structData: [UInt8] = []
    }
    enum Tail { case soft(UInt32, UInt32), hard(UInt32, UInt32) }

    var blocks: (UInt32, UInt32)
    var entries: [Entry] = []
    var tail: Tail?
    var commits = 0
    var revision: UInt32 = 0
    /// The block the state was read from.
    var block: UInt32 = 0

    var hasSuperblock: Bool { entries.first?.nameType == LittleFSFormat.typeSuperblock }
}

struct MetadataPairReader {
    let image: [UInt8]
    let blockSize: Int
    let blockCount: Int

    func read(_ a: UInt32, _ b: UInt32) throws -> MetadataPair {
        guard Int(a) < blockCount, Int(b) < blockCount else {
            throw LittleFSError.corrupt("metadata pair {\(a), \(b)} points outside the \(blockCount) blocks")
        }
        let revA = le32(at: Int(a) * blockSize), revB = le32(at: Int(b) * blockSize)
        let order = Int32(bitPattern: revB &- revA) > 0 ? [b, a] : [a, b]
        for block in order {
            var pair = MetadataPair(blocks: (a, b))
            pair.block = block
            replay(block, into: &pair)
            if pair.commits > 0 { return pair }
        }
        throw LittleFSError.corrupt("metadata pair {\(a), \(b)} has no commit whose CRC checks")
    }

    private func replay(_ block: UInt32, into pair: inout MetadataPair) {
        let base = Int(block) * blockSize
        let end = base + blockSize
        pair.revision = le32(at: base)
        var crc = LittleFSCRC.update(LittleFSCRC.seed, image[base..<base + 4])
        var previous: UInt32 = 0xFFFF_FFFF
        var off = base + 4
        var state = pair
        var pending: [(LittleFSTag, ArraySlice<UInt8>)] = []
        while off + 4 <= end {
            let storedBytes = image[off..<off + 4]
            let tag = LittleFSTag(raw: be32(at: off) ^ previous)
            guard tag.isValid else { break }
            let length = tag.dataLength
            guard off + 4 + length <= end else { break }
            crc = LittleFSCRC.update(crc, storedBytes)
            let data = image[off + 4..<off + 4 + length]
            if tag.type1 == 0x5 && tag.type != LittleFSFormat.typeFCRC {
                guard length >= 4, le32(at: off + 4) == crc else { break }
                for (t, d) in pending { apply(t, d, to: &state) }
                state.commits += 1
                pair = state
                pending = []
                crc = LittleFSCRC.seed
                previous = tag.raw ^ ((tag.chunk & 1) << 31)
            } else {
                crc = LittleFSCRC.update(crc, data)
                pending.append((tag, data))
                previous = tag.raw
            }
            off += 4 + length
        }
    }

    /// One tag's effect on the pair: creates and deletes shift the ids after them.
    private func apply(_ tag: LittleFSTag, _ data: ArraySlice<UInt8>, to pair: inout MetadataPair) {
        let id = Int(tag.id)
        switch tag.type1 {
        case 0x0 where tag.length != LittleFSFormat.deletedLength:
            grow(&pair, to: id)
            pair.entries[id].nameType = tag.type
            pair.entries[id].name = Array(data)
        case 0x2 where tag.length != LittleFSFormat.deletedLength:
            grow(&pair, to: id)
            pair.entries[id].structType = tag.type
            pair.entries[id].structData = Array(data)
        case 0x4 where tag.type == LittleFSFormat.typeCreate:
            if id <= pair.entries.count { pair.entries.insert(MetadataPair.Entry(), at: id) }
        case 0x4 where tag.type == LittleFSFormat.typeDelete:
            if id < pair.entries.count { pair.entries.remove(at: id) }
        case 0x6 where data.count >= 8:
            let p0 = le32(at: data.startIndex), p1 = le32(at: data.startIndex + 4)
            pair.tail = tag.chunk & 1 == 1 ? .hard(p0, p1) : .soft(p0, p1)
        default:
            break  // user attributes, global state: not needed to list and read files
        }
    }

    private func grow(_ pair: inout MetadataPair, to id: Int) {
        while pair.entries.count <= id { pair.entries.append(MetadataPair.Entry()) }
    }

    func le32(at o: Int) -> UInt32 {
        UInt32(image[o]) | UInt32(image[o + 1]) << 8 | UInt32(image[o + 2]) << 16 | UInt32(image[o + 3]) << 24
    }
    func be32(at o: Int) -> UInt32 {
        UInt32(image[o]) << 24 | UInt32(image[o + 1]) << 16 | UInt32(image[o + 2]) << 8 | UInt32(image[o + 3])
    }
}
