import Foundation

/// The simulated board's `fskv` region: one file per key under `<sandbox>/fskv/`, so it survives
/// reboots of the same board (new `LuatOSRuntime`s on the same sandbox) as the firmware's
/// littlefs region in its own flash does, and script updates do not touch it.
///
/// Limits as the firmware has them (components/fskv/luat_fskv.c): littlefs `name_max` 63 (a
/// longer key cannot be opened, so `set` fails), `file_max` 4096, 4 KiB blocks in a 64 KiB region
/// (spec §4 / §5A). The space model is an approximation of littlefs 2.7: a value of at most 256
/// bytes (the cache size, littlefs' inline limit) lives inside a metadata pair (two blocks, about
/// half of a block usable before a split), a larger one takes a block of its own; a write that
/// would need more than the region's 16 blocks fails, like LFS_ERR_NOSPC.
struct RuntimeFSKV {
    static let regionBytes = 64 * 1024
    static let blockSize = 4096
    static let nameMax = 63
    static let inlineMax = 256
    static let metadataPairPayload = blockSize / 2

    let directory: String

    init(sandbox: String) { directory = sandbox + "/fskv" }

    /// littlefs opens a plain name in the root directory: no "/", not "." or "..", 1…63 bytes.
    static func validKey(_ key: [UInt8]) -> Bool {
        !key.isEmpty && key.count <= nameMax && !key.contains(0x2F) && !key.contains(0)
            && key != [0x2E] && key != [0x2E, 0x2E]
    }

    private func path(_ key: [UInt8]) -> String { directory + "/" + String(decoding: key, as: UTF8.self) }

    /// Stored keys in littlefs directory order (sorted by name).
    func keys() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".tmp-") }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    private func sizes() -> [String: Int] {
        var out: [String: Int] = [:]
        for key in keys() {
            out[key] = posixFileSize(directory + "/" + key) ?? 0
        }
        return out
    }

    /// Blocks littlefs would use for these files (see the type's comment).
    static func blocksUsed(_ files: [String: Int]) -> Int {
        var inlineBytes = 0
        var large = 0
        for (name, size) in files {
            let tagged = name.utf8.count + 16
            if size <= inlineMax { inlineBytes += tagged + size } else { inlineBytes += tagged + 8; large += 1 }
        }
        let pairs = max(1, (inlineBytes + metadataPairPayload - 1) / metadataPairPayload)
        return 2 * pairs + large
    }

    func get(_ key: [UInt8]) -> [UInt8]? {
        guard Self.validKey(key), let data = FileManager.default.contents(atPath: path(key)) else { return nil }
        return [UInt8](data)
    }

    /// Writes the encoded value; false when the key is invalid, the value too large or the region full.
    func set(_ key: [UInt8], _ value: [UInt8]) -> Bool {
        guard Self.validKey(key), value.count <= Self.blockSize else { return false }
        var files = sizes()
        files[String(decoding: key, as: UTF8.self)] = value.count
        guard Self.blocksUsed(files) <= Self.regionBytes / Self.blockSize else { return false }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let temporary = directory + "/.tmp-" + UUID().uuidString
            try Data(value).write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, path(key)) != 0 {
                try? FileManager.default.removeItem(atPath: temporary)
                return false
            }
            return true
        } catch {
            return false
        }
    }

    /// luat_fskv_del ignores lfs_remove's result: always 0, so `fskv.del` is always true.
    func delete(_ key: [UInt8]) {
        guard Self.validKey(key) else { return }
        try? FileManager.default.removeItem(atPath: path(key))
    }

    func clear() -> Bool {
        try? FileManager.default.removeItem(atPath: directory)
        return (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil
    }

    /// `fskv.status()`: bytes in use (littlefs blocks × 4096), the region's size, key count.
    func status() -> (used: Int, total: Int, count: Int) {
        let files = sizes()
        return (Self.blocksUsed(files) * Self.blockSize, Self.regionBytes, files.count)
    }
}

/// The size of a file (nil when it cannot be stat'ed).
func posixFileSize(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_size)
}
