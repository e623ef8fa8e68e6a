/// Places a directory tree on blocks and encodes it.
///
/// Blocks 0 and 1 are the superblock pair, which is also the root directory's first pair. Every
/// directory is a chain of metadata pairs linked by hard tails; the chains follow each other
/// (root first, then each directory's subtree, depth first) linked by soft tails, so the one
/// threaded list from {0, 1} reaches every pair: the firmware's block allocator walks that list
/// to learn which blocks are in use. Each pair's commit goes into its first block; its second
/// block stays erased for the firmware's next compaction. CTZ file data follows the pairs.
struct LittleFSLayout {
    let geometry: LittleFSGeometry
    let root: LittleFSTree.Directory

    /// Entries per pair are capped at half a block, as littlefs' own compaction leaves them, so
    /// the firmware can append commits (an `fskv.set` on the board) before it must compact.
    private var pairBudget: Int { geometry.blockSize / 2 }

    private struct Entry {
        var name: [UInt8]
        var kind: Kind
        enum Kind { case inline([UInt8]), ctz([UInt8]), directory(Int) }  // directory: index into dirs
        var structSize: Int {
            if case .inline(let d) = kind { return d.count }
            return 8
        }
        var size: Int { 4 + name.count + 4 + structSize }
    }

    private struct DirPlan {
        var entries: [Entry] = []
        var chunks: [Range<Int>] = []
        var firstPair = 0  // index into pairs
    }

    func render() throws -> [UInt8] {
        var dirs: [DirPlan] = []
        plan(root, into: &dirs)
        // Split each directory's sorted entries into pairs.
        for d in dirs.indices {
            let fixed = 4 + 12 + LittleFSFormat.commitTrailer + (d == 0 ? superblockSize : 0)
            var chunks: [Range<Int>] = [], start = 0, used = fixed
            for (i, e) in dirs[d].entries.enumerated() {
                if i > start && used + e.size > pairBudget {
                    chunks.append(start..<i)
                    start = i
                    used = fixed
                }
                used += e.size
            }
            chunks.append(start..<dirs[d].entries.count)
            dirs[d].chunks = chunks
        }
        // Pairs in thread order, two blocks each from 0.
        var pairs: [(dir: Int, chunk: Int)] = []
        for d in dirs.indices {
            dirs[d].firstPair = pairs.count
            for c in dirs[d].chunks.indices { pairs.append((d, c)) }
        }
        var nextBlock = pairs.count * 2
        var ctzBlocks: [[UInt32]] = []  // per CTZ file, in the order met below
        var ctzData: [[UInt8]] = []
        for d in dirs.indices {
            for e in dirs[d].entries {
                guard case .ctz(let data) = e.kind else { continue }
                let n = CTZSkipList.blockCount(size: data.count, blockSize: geometry.blockSize, limit: Int.max) ?? 0
                ctzBlocks.append((0..<n).map { UInt32(nextBlock + $0) })
                ctzData.append(data)
                nextBlock += n
            }
        }
        guard nextBlock <= geometry.blockCount else {
            throw LittleFSError.imageFull(neededBlocks: nextBlock, blockCount: geometry.blockCount)
        }

        var image = [UInt8](repeating: 0xFF, count: geometry.regionSize)
        func place(_ block: [UInt8], at number: Int) {
            image.replaceSubrange(number * geometry.blockSize..<(number + 1) * geometry.blockSize, with: block)
        }
        var ctzIndex = 0
        for (p, (d, c)) in pairs.enumerated() {
            var entries: [MetadataEntry] = []
            var id: UInt32 = 0
            if p == 0 {
                entries += superblockEntries()
                id = 1
            }
            for e in dirs[d].entries[dirs[d].chunks[c]] {
                switch e.kind {
                case .inline(let data):
                    entries.append(MetadataEntry(type: LittleFSFormat.typeRegular, id: id, data: e.name))
                    entries.append(MetadataEntry(type: LittleFSFormat.typeInlineStruct, id: id, data: data))
                case .ctz(let data):
                    let blocks = ctzBlocks[ctzIndex]
                    ctzIndex += 1
                    entries.append(MetadataEntry(type: LittleFSFormat.typeRegular, id: id, data: e.name))
                    entries.append(MetadataEntry(type: LittleFSFormat.typeCTZStruct, id: id,
                                                 data: le32(blocks.last ?? 0) + le32(UInt32(data.count))))
                case .directory(let sub):
                    entries.append(MetadataEntry(type: LittleFSFormat.typeDirectory, id: id, data: e.name))
                    entries.append(MetadataEntry(type: LittleFSFormat.typeDirStruct, id: id,
                                                 data: pairPointer(dirs[sub].firstPair)))
                }
                id += 1
            }
            if p + 1 < pairs.count {
                let hard = pairs[p + 1].dir == d
                entries.append(MetadataEntry(type: hard ? LittleFSFormat.typeHardTail : LittleFSFormat.typeSoftTail,
                                             id: LittleFSFormat.pairID, data: pairPointer(p + 1)))
            }
            place(try MetadataBlockWriter.encode(entries, geometry: geometry), at: p * 2)
        }
        for (blocks, data) in zip(ctzBlocks, ctzData) {
            for (number, block) in zip(blocks, CTZSkipList.encode(data, on: blocks, blockSize: geometry.blockSize)) {
                place(block, at: Int(number))
            }
        }
        return image
    }

    /// Depth first: a directory's plan is appended before its subdirectories' plans.
    @discardableResult
    private func plan(_ dir: LittleFSTree.Directory, into dirs: inout [DirPlan]) -> Int {
        let index = dirs.count
        dirs.append(DirPlan())
        var entries: [Entry] = []
        for (name, node) in dir.sorted {
            switch node {
            case .file(let data):
                entries.append(Entry(name: name, kind: data.count <= geometry.inlineMax ? .inline(data) : .ctz(data)))
            case .directory(let sub):
                entries.append(Entry(name: name, kind: .directory(plan(sub, into: &dirs))))
            }
        }
        dirs[index].entries = entries
        return index
    }

    private func pairPointer(_ pair: Int) -> [UInt8] {
        le32(UInt32(pair * 2)) + le32(UInt32(pair * 2 + 1))
    }

    private var superblockSize: Int { 4 + LittleFSFormat.magic.count + 4 + 24 }

    private func superblockEntries() -> [MetadataEntry] {
        let g = geometry
        let fields = [g.diskVersion, UInt32(g.blockSize), UInt32(g.blockCount),
                      UInt32(g.nameMax), UInt32(g.fileMax), UInt32(g.attrMax)]
        return [
            MetadataEntry(type: LittleFSFormat.typeSuperblock, id: 0, data: LittleFSFormat.magic),
            MetadataEntry(type: LittleFSFormat.typeInlineStruct, id: 0, data: fields.flatMap(le32)),
        ]
    }
}
