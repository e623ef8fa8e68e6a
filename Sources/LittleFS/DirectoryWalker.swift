/// Walks the directory tree from the root pair, reading every file. Pairs already visited are not
/// entered again, so a tail or directory pointer loop in a corrupt image ends with an error.
struct DirectoryWalker {
    let pairs: MetadataPairReader
    let superblock: LittleFSSuperblock
    private(set) var entries: [LittleFSEntry] = []
    private var visited: Set<UInt64> = []
    private var depth = 0
    private static let maxDepth = 64

    init(pairs: MetadataPairReader, superblock: LittleFSSuperblock) {
        self.pairs = pairs
        self.superblock = superblock
    }

    /// The root is the last pair of the superblock chain from {0, 1} (littlefs grows that chain
    /// as the root is compacted; the last superblock pair doubles as the root directory).
    func findRoot() throws -> (UInt32, UInt32) {
        var current: (UInt32, UInt32) = (0, 1)
        var root = current
        var seen: Set<UInt64> = []
        while seen.insert(key(current)).inserted {
            let pair = try pairs.read(current.0, current.1)
            guard pair.hasSuperblock else { break }
            root = current
            guard case .hard(let a, let b)? = pair.tail else { break }
            current = (a, b)
        }
        return root
    }

    mutating func list(_ first: (UInt32, UInt32), path: String) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw LittleFSError.corrupt("directories nest deeper than \(Self.maxDepth)") }
        var current: (UInt32, UInt32)? = first
        while let (a, b) = current {
            guard visited.insert(key((a, b))).inserted else {
                throw LittleFSError.corrupt("metadata pair {\(a), \(b)} is reached twice (a loop)")
            }
            let pair = try pairs.read(a, b)
            for entry in pair.entries {
                try visit(entry, in: path, pair: pair)
            }
            if case .hard(let na, let nb)? = pair.tail { current = (na, nb) } else { current = nil }
        }
    }

    private mutating func visit(_ entry: MetadataPair.Entry, in dir: String, pair: MetadataPair) throws {
        guard let type = entry.nameType,
              type == LittleFSFormat.typeRegular || type == LittleFSFormat.typeDirectory else { return }
        let name = String(decoding: entry.name, as: UTF8.self)
        let path = dir + "/" + name
        guard !entry.name.isEmpty, !entry.name.contains(UInt8(ascii: "/")) else {
            throw LittleFSError.corrupt("entry \"\(path)\" has a bad name")
        }
        guard let structType = entry.structType else {
            throw LittleFSError.corrupt("\"\(path)\" has no struct tag in block \(pair.block)")
        }
        switch (type, structType) {
        case (LittleFSFormat.typeDirectory, LittleFSFormat.typeDirStruct):
            guard entry.structData.count == 8 else { throw LittleFSError.corrupt("\"\(path)\": directory struct is \(entry.structData.count) bytes") }
            entries.append(LittleFSEntry(path: path, storage: .directory, contents: []))
            try list((word(entry.structData, 0), word(entry.structData, 4)), path: path)
        case (LittleFSFormat.typeRegular, LittleFSFormat.typeInlineStruct):
            entries.append(LittleFSEntry(path: path, storage: .inline, contents: entry.structData))
        case (LittleFSFormat.typeRegular, LittleFSFormat.typeCTZStruct):
            guard entry.structData.count == 8 else { throw LittleFSError.corrupt("\"\(path)\": CTZ struct is \(entry.structData.count) bytes") }
            let data = try readCTZ(head: word(entry.structData, 0), size: Int(word(entry.structData, 4)), path: path)
            entries.append(LittleFSEntry(path: path, storage: .ctz, contents: data))
        default:
            throw LittleFSError.corrupt("\"\(path)\" has struct type 0x\(String(structType, radix: 16)) for entry type 0x\(String(type, radix: 16))")
        }
    }

    /// Follows the skip-list from its head back to block 0 by each block's first pointer.
    private func readCTZ(head: UInt32, size: Int, path: String) throws -> [UInt8] {
        guard size > 0 else { return [] }
        guard size <= superblock.fileMax else {
            throw LittleFSError.corrupt("\"\(path)\" claims \(size) bytes, more than file_max \(superblock.fileMax)")
        }
        let blockSize = superblock.blockSize
        guard let n = CTZSkipList.blockCount(size: size, blockSize: blockSize, limit: superblock.blockCount) else {
            throw LittleFSError.corrupt("\"\(path)\" claims \(size) bytes, more than the image holds")
        }
        var blocks = [UInt32](repeating: 0, count: n)
        var current = head
        for i in stride(from: n - 1, through: 0, by: -1) {
            guard Int(current) < superblock.blockCount else {
                throw LittleFSError.corrupt("\"\(path)\": data block \(current) is outside the \(superblock.blockCount) blocks")
            }
            blocks[i] = current
            if i > 0 { current = pairs.le32(at: Int(current) * blockSize) }
        }
        var data: [UInt8] = []
        data.reserveCapacity(size)
        for (i, block) in blocks.enumerated() {
            let start = Int(block) * blockSize + 4 * CTZSkipList.pointerCount(index: i)
            let take = min(CTZSkipList.capacity(index: i, blockSize: blockSize), size - data.count)
            data += pairs.image[start..<start + take]
        }
        return data
    }

    private func word(_ d: [UInt8], _ o: Int) -> UInt32 {
        UInt32(d[o]) | UInt32(d[o + 1]) << 8 | UInt32(d[o + 2]) << 16 | UInt32(d[o + 3]) << 24
    }
    private func key(_ p: (UInt32, UInt32)) -> UInt64 { UInt64(min(p.0, p.1)) << 32 | UInt64(max(p.0, p.1)) }
}
