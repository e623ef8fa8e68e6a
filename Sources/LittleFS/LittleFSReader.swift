/// The superblock's record of how the image was formatted.
public struct LittleFSSuperblock: Sendable, Equatable {
    public let version: UInt32
    public let blockSize: Int
    public let blockCount: Int
    public let nameMax: Int
    public let fileMax: Int
    public let attrMax: Int

    public var versionText: String { "\(version >> 16).\(version & 0xFFFF)" }
}

/// A file or directory found in an image.
public struct LittleFSEntry: Sendable, Equatable {
    public enum Storage: String, Sendable { case inline, ctz, directory }
    /// Absolute, "/"-separated.
    public let path: String
    public let storage: Storage
    /// The file's bytes (empty for a directory).
    public let contents: [UInt8]

    public var isDirectory: Bool { storage == .directory }
}

public struct LittleFSVolume: Sendable {
    public let superblock: LittleFSSuperblock
    /// Every entry, parents before children, each directory's entries in littlefs (name) order.
    public let entries: [LittleFSEntry]

    public var files: [LittleFSEntry] { entries.filter { !$0.isDirectory } }
    public func file(_ path: String) -> [UInt8]? {
        let wanted = path.hasPrefix("/") ? path : "/" + path
        return entries.first { $0.path == wanted && !$0.isDirectory }?.contents
    }
}

/// Reads littlefs v2 images: what this module writes and what the reference implementation
/// writes (appended commits, creates and deletes, superblock chains). Reads every file, so any
/// CRC or pointer that does not hold surfaces as a `LittleFSError`, never a trap.
public enum LittleFSReader {
    /// Whether `bytes` start with a littlefs superblock: the magic at offset 8 of block 0, or of
    /// block 1 (for any power-of-two block size) when block 0 is mid-erase.
    public static func looksLikeLittleFS(_ bytes: [UInt8]) -> Bool {
        superblockBlockOffsets(bytes).isEmpty == false
    }

    public static func read(_ bytes: [UInt8]) throws -> LittleFSVolume {
        let superblock = try findSuperblock(bytes)
        let (needed, overflow) = superblock.blockSize.multipliedReportingOverflow(by: superblock.blockCount)
        guard !overflow else { throw LittleFSError.corrupt("superblock block size × count overflows") }
        guard bytes.count >= needed else {
            throw LittleFSError.truncated("\(bytes.count) bytes, the superblock says \(superblock.blockCount) blocks of \(superblock.blockSize) (\(needed) bytes)")
        }
        let pairs = MetadataPairReader(image: bytes, blockSize: superblock.blockSize, blockCount: superblock.blockCount)
        var walker = DirectoryWalker(pairs: pairs, superblock: superblock)
        let root = try walker.findRoot()
        try walker.list(root, path: "")
        return LittleFSVolume(superblock: superblock, entries: walker.entries)
    }

    private static func superblockBlockOffsets(_ bytes: [UInt8]) -> [Int] {
        func hasMagic(_ base: Int) -> Bool {
            let at = base + LittleFSFormat.magicOffset
            return at + 8 <= bytes.count && Array(bytes[at..<at + 8]) == LittleFSFormat.magic
        }
        var offsets = hasMagic(0) ? [0] : []
        var size = LittleFSFormat.minimumBlockSize
        while size <= LittleFSFormat.maximumBlockSize && size < bytes.count {
            if hasMagic(size) { offsets.append(size) }
            size *= 2
        }
        return offsets
    }

    /// The superblock fields, from whichever of blocks 0/1 holds a valid commit with them. The
    /// block size is not known yet: each candidate block is parsed up to the end of the image.
    private static func findSuperblock(_ bytes: [UInt8]) throws -> LittleFSSuperblock {
        let candidates = superblockBlockOffsets(bytes)
        guard !candidates.isEmpty else {
            throw LittleFSError.notLittleFS("no \"littlefs\" magic at offset 8 of block 0 or 1")
        }
        var lastError: LittleFSError = .corrupt("no superblock commit whose CRC checks in block 0 or 1 (image of \(bytes.count) bytes)")
        for base in candidates {
            let span = min(bytes.count - base, LittleFSFormat.maximumBlockSize)
            guard span >= 4 else { continue }
            let window = Array(bytes[base..<base + span])
            let reader = MetadataPairReader(image: window, blockSize: span, blockCount: 1)
            guard let pair = try? reader.read(0, 0), pair.hasSuperblock,
                  pair.entries[0].structType == LittleFSFormat.typeInlineStruct else { continue }
            do {
                return try decodeSuperblock(pair.entries[0].structData)
            } catch let e as LittleFSError {
                lastError = e
            }
        }
        throw lastError
    }

    private static func decodeSuperblock(_ d: [UInt8]) throws -> LittleFSSuperblock {
        guard d.count >= 24 else { throw LittleFSError.corrupt("superblock struct is \(d.count) bytes, expected 24") }
        func field(_ i: Int) -> UInt32 {
            UInt32(d[i * 4]) | UInt32(d[i * 4 + 1]) << 8 | UInt32(d[i * 4 + 2]) << 16 | UInt32(d[i * 4 + 3]) << 24
        }
        let version = field(0)
        guard version >> 16 == 2, version & 0xFFFF <= LittleFSFormat.diskVersion & 0xFFFF else {
            throw LittleFSError.unsupported("disk version \(version >> 16).\(version & 0xFFFF) (reads 2.0 and 2.1)")
        }
        let s = LittleFSSuperblock(version: version, blockSize: Int(field(1)), blockCount: Int(field(2)),
                                   nameMax: Int(field(3)), fileMax: Int(field(4)), attrMax: Int(field(5)))
        guard (LittleFSFormat.minimumBlockSize...LittleFSFormat.maximumBlockSize).contains(s.blockSize),
              (2...LittleFSFormat.maximumBlockCount).contains(s.blockCount) else {
            throw LittleFSError.corrupt("superblock geometry \(s.blockCount) blocks of \(s.blockSize) bytes is out of range")
        }
        return s
    }
}
