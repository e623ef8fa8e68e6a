import LittleFS
import Testing

/// Damaged or refused input: a clear `LittleFSError`/`FSKVError`, never a trap.
struct LittleFSErrorTests {
    static func sample() throws -> [UInt8] {
        var image = try LittleFSImage(geometry: .ec618FSKV)
        try image.addFile("a", contents: Array("small".utf8))
        try image.addFile("big", contents: pattern(3000, seed: 9))
        return try image.bytes()
    }

    @Test func truncatedImageNamesBothSizes() throws {
        let image = try Self.sample()
        #expect(throws: LittleFSError.truncated("32768 bytes, the superblock says 16 blocks of 4096 (65536 bytes)")) {
            try LittleFSReader.read(Array(image.prefix(32768)))
        }
        // Cut inside the first commit: nothing left to trust.
        #expect(throws: LittleFSError.self) { try LittleFSReader.read(Array(image.prefix(40))) }
    }

    @Test func badCRCInTheOnlyCommitIsCorrupt() throws {
        var image = try Self.sample()
        image[60] ^= 0x01  // inside the root commit, whose partner block is erased
        let error = #expect(throws: LittleFSError.self) { try LittleFSReader.read(image) }
        #expect(error?.description.contains("CRC") == true)
    }

    @Test func ctzPointerOutsideTheRegionIsCorrupt() throws {
        let g = LittleFSGeometry.ec618Main
        var image = try LittleFSImage(geometry: g)
        try image.addFile("f", contents: pattern(3 * g.blockSize, seed: 1))
        var bytes = try image.bytes()
        // The file's blocks follow the root pair (blocks 0-1): 2, 3, 4; block 4 points back first.
        bytes.replaceSubrange(4 * g.blockSize..<4 * g.blockSize + 4, with: [0xEE, 0xEE, 0, 0])
        let error = #expect(throws: LittleFSError.self) { try LittleFSReader.read(bytes) }
        #expect(error?.description.contains("outside the 72 blocks") == true)
    }

    @Test func notLittleFS() {
        #expect(!LittleFSReader.looksLikeLittleFS([UInt8](repeating: 0xFF, count: 8192)))
        #expect(throws: LittleFSError.notLittleFS("no \"littlefs\" magic at offset 8 of block 0 or 1")) {
            try LittleFSReader.read([UInt8](repeating: 0, count: 8192))
        }
    }

    /// Every single-byte corruption of the metadata either still reads or throws; none traps.
    @Test func flippedBytesNeverTrap() throws {
        let image = try Self.sample()
        var outcomes = (read: 0, refused: 0)
        for offset in stride(from: 0, to: 600, by: 1) {
            var damaged = image
            damaged[offset] ^= UInt8(truncatingIfNeeded: offset &* 37 | 1)
            do {
                _ = try LittleFSReader.read(damaged)
                outcomes.read += 1
            } catch is LittleFSError {
                outcomes.refused += 1
            }
        }
        #expect(outcomes.refused > 0)
        #expect(outcomes.read + outcomes.refused == 600)
    }

    /// Bytes flipped anywhere in an image with directories and CTZ files: read or refused, never a trap.
    @Test func flippedBytesAcrossTheImageNeverTrap() throws {
        let g = LittleFSGeometry.ec618Main
        var image = try LittleFSImage(geometry: g)
        for i in 0..<12 { try image.addFile("/d\(i % 3)/f\(i)", contents: pattern(200 + i * 700, seed: i)) }
        let bytes = try image.bytes()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var refused = 0
        for _ in 0..<300 {
            var damaged = bytes
            for _ in 0..<4 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let used = 28 * g.blockSize  // the 25 blocks this image fills (4 pairs, 17 data blocks) and a few erased
                damaged[Int(state >> 33) % used] ^= UInt8(truncatingIfNeeded: state >> 7) | 1
            }
            do { _ = try LittleFSReader.read(damaged) } catch is LittleFSError { refused += 1 }
        }
        #expect(refused > 0)
    }

    @Test func writerRefusals() throws {
        var fskv = FSKVImage()
        #expect(throws: FSKVError.badKey(String(repeating: "k", count: 64), reason: "64 bytes, more than 63")) {
            try fskv.set(String(repeating: "k", count: 64), .boolean(true))
        }
        #expect(throws: FSKVError.self) { try fskv.set("", .boolean(true)) }
        #expect(throws: FSKVError.self) { try fskv.set("a/b", .boolean(true)) }
        #expect(throws: FSKVError.forKey("big", .valueTooLarge(payload: 4096, max: 4095))) {
            try fskv.set("big", .string(pattern(4096, seed: 1)))
        }
        try fskv.set("fits", .string(pattern(4095, seed: 1)))
        #expect(throws: FSKVError.duplicateKey("fits")) { try fskv.set("fits", .integer(1)) }
        #expect(throws: FSKVError.self) { try fskv.set("wide", .integer(Int64(Int32.max) + 1)) }
        #expect(throws: FSKVError.self) { try fskv.set("t", .table("not json")) }
        #expect(throws: FSKVError.self) { try fskv.set("f", .number(1e300)) }

        var image = try LittleFSImage(geometry: .ec618FSKV)
        #expect(throws: LittleFSError.self) { try image.addFile("x", contents: pattern(4097, seed: 1)) }  // file_max
        #expect(throws: LittleFSError.self) { try image.addFile("a//b", contents: []) }
        #expect(throws: LittleFSError.self) { try image.addFile("/" + String(repeating: "n", count: 64), contents: []) }
        try image.addFile("/d/f", contents: [1])
        #expect(throws: LittleFSError.duplicatePath("/d/f")) { try image.addFile("d/f", contents: [2]) }
        #expect(throws: LittleFSError.self) { try image.addFile("/d/f/g", contents: [2]) }
        for i in 0..<15 { try image.addFile("f\(i)", contents: pattern(4000, seed: i)) }
        #expect(throws: LittleFSError.imageFull(neededBlocks: 19, blockCount: 16)) { try image.bytes() }
    }
}
