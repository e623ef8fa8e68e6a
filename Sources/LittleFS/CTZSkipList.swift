/// The shape of a CTZ skip-list file (SPEC.md `LFS2_TYPE_CTZSTRUCT`, DESIGN.md "CTZ skip-lists"):
/// block i > 0 starts with ctz(i)+1 little-endian pointers, to blocks i-1, i-2, i-4, … i-2^ctz(i);
/// block 0 has none. The struct names the last block (the head) and the file size.
enum CTZSkipList {
    static func pointerCount(index: Int) -> Int {
        index == 0 ? 0 : index.trailingZeroBitCount + 1
    }

    /// Data bytes block `index` holds.
    static func capacity(index: Int, blockSize: Int) -> Int {
        blockSize - 4 * pointerCount(index: index)
    }

    /// How many blocks a file of `size` bytes (> 0) spans: the block holding byte size-1 is the head.
    /// Bounded by `limit` so a corrupt size never loops long.
    static func blockCount(size: Int, blockSize: Int, limit: Int) -> Int? {
        var remaining = size, index = 0
        while remaining > 0 {
            guard index < limit else { return nil }
            remaining -= capacity(index: index, blockSize: blockSize)
            index += 1
        }
        return index
    }

    /// The data blocks of a file laid out on `blocks` (its block numbers in file order).
    static func encode(_ data: [UInt8], on blocks: [UInt32], blockSize: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        for (i, _) in blocks.enumerated() {
            var block: [UInt8] = []
            block.reserveCapacity(blockSize)
            for x in 0..<pointerCount(index: i) {
                let target = blocks[i - (1 << x)]
                block += withUnsafeBytes(of: target.littleEndian, Array.init)
            }
            let take = min(capacity(index: i, blockSize: blockSize), data.count - offset)
            block += data[offset..<offset + take]
            offset += take
            block += [UInt8](repeating: 0xFF, count: blockSize - block.count)
            out.append(block)
        }
        return out
    }
}
