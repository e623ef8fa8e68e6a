import Foundation
import LittleFS

/// `provision inspect IMAGE` for a littlefs image (an fskv or LittleFS region dump): its
/// superblock and every entry; for an fskv image each key with its Lua type and a value preview.
struct LittleFSInspectReport: Codable {
    struct Entry: Codable {
        let path: String
        let type: String
        let size: Int
        let storage: String
    }
    struct Key: Codable {
        let key: String
        let luaType: String?
        let size: Int
        let value: String
    }

    let file: String
    let format: String
    let version: String
    let blockSize: Int
    let blockCount: Int
    let nameMax: Int
    let fileMax: Int
    let entries: [Entry]
    /// Present when the superblock has the fskv instance's limits.
    let fskv: [Key]?

    /// Reads `path` when it is a littlefs image; nil when it is not one (not even its magic).
    static func readIfLittleFS(_ path: String) throws -> LittleFSInspectReport? {
        guard let bytes = FileManager.default.contents(atPath: path).map(Array.init),
              LittleFSReader.looksLikeLittleFS(bytes) else { return nil }
        do {
            return LittleFSInspectReport(file: path, volume: try LittleFSReader.read(bytes))
        } catch let error as LittleFSError {
            throw LittleFSInputError(file: path, error: error)
        }
    }

    init(file: String, volume: LittleFSVolume) {
        self.file = file
        format = "littlefs"
        let s = volume.superblock
        version = s.versionText
        blockSize = s.blockSize
        blockCount = s.blockCount
        nameMax = s.nameMax
        fileMax = s.fileMax
        entries = volume.entries.map {
            Entry(path: $0.path, type: $0.isDirectory ? "directory" : "file", size: $0.contents.count,
                  storage: $0.storage.rawValue)
        }
        let fskvLimits = LittleFSGeometry.ec618FSKV
        if s.nameMax == fskvLimits.nameMax && s.fileMax == fskvLimits.fileMax {
            let sizes = Dictionary(volume.files.map { ($0.path, $0.contents.count) }, uniquingKeysWith: { a, _ in a })
            fskv = FSKVImage.decode(volume).map { key, value in
                let size = sizes["/" + key] ?? 0
                switch value {
                case .success(let v): return Key(key: key, luaType: v.luaType, size: size, value: v.preview())
                case .failure(let e): return Key(key: key, luaType: nil, size: size, value: "<\(e)>")
                }
            }
        } else {
            fskv = nil
        }
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func text() -> String {
        var lines = ["\(file)  (littlefs \(version), \(blockCount) blocks of \(blockSize) B = \(blockCount * blockSize / 1024) KiB, "
                     + "name_max \(nameMax), file_max \(fileMax))"]
        if let fskv {
            lines.append("fskv: \(fskv.count) keys")
            let widths = [max(3, fskv.map(\.key.count).max() ?? 0), 8, 5]
            lines.append(cells(["KEY", "TYPE", "SIZE", "VALUE"], widths))
            for k in fskv { lines.append(cells([k.key, k.luaType ?? "?", String(k.size), k.value], widths)) }
        } else {
            let files = entries.filter { $0.type == "file" }
            lines.append("\(files.count) files, \(entries.count - files.count) directories, "
                         + "\(files.reduce(0) { $0 + $1.size }) bytes")
            let widths = [max(4, entries.map { $0.path.count + 1 }.max() ?? 0), 8]
            lines.append(cells(["PATH", "SIZE", "STORAGE"], widths))
            for e in entries {
                lines.append(cells([e.type == "directory" ? e.path + "/" : e.path,
                                    e.type == "directory" ? "-" : String(e.size), e.storage], widths))
            }
        }
        return lines.joined(separator: "\n")
    }

    private func cells(_ values: [String], _ widths: [Int]) -> String {
        values.enumerated().map { i, v in
            i < widths.count ? v.padding(toLength: max(widths[i], v.count), withPad: " ", startingAt: 0) : v
        }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}

/// A littlefs image that does not read: bad input, named with its file.
struct LittleFSInputError: ProvisionFailure {
    let file: String
    let error: Error
    var exitCode: Int32 { ProvisionExit.inputError }
    var description: String { "\(file): \(error)" }
}
