import EC618
import Firmware
import Foundation
import LittleFS
import Vocabulary

/// One board's own data as its last flash writes it: the profile's fskv keys, typed, and its
/// files for the main LittleFS. Both regions are rewritten from what the board holds (keys and
/// files already there are kept, ours replace theirs), so the platform's own files in the
/// LittleFS and values an app stored survive.
public struct BoardDataWrite: Sendable, Equatable {
    /// The row it came from, for messages (`pool keys #17`, `rows.csv imei=…`).
    public let source: String
    public let fskv: [(key: String, value: FSKVValue)]
    public let files: [(path: String, contents: [UInt8])]

    public static func == (a: BoardDataWrite, b: BoardDataWrite) -> Bool {
        a.source == b.source && a.fskv.elementsEqual(b.fskv, by: { $0.key == $1.key && $0.value == $1.value })
            && a.files.elementsEqual(b.files, by: { $0.path == $1.path && $0.contents == $1.contents })
    }

    /// The values of `row` as `layout` maps them; file columns name files under `filesFolder`
    /// (unless absolute). A missing column, a value that is not its type, or an unreadable file
    /// fails the board with `board_data_failed`, naming the row and column, before it is flashed.
    public init(row values: [String: String], source: String, layout: BoardDataLayout, filesFolder: String) throws {
        self.source = source
        func fail(_ reason: String) -> StepFailure {
            StepFailure(failureClass: .boardDataFailed, detail: "\(source): \(reason)")
        }
        var fskv: [(key: String, value: FSKVValue)] = []
        for entry in layout.fskv {
            guard let text = values[entry.column] else { throw fail("no column \(entry.column)") }
            guard let value = Self.value(text, as: entry.type) else {
                throw fail("column \(entry.column) is not a Lua \(entry.type.rawValue): \"\(text.prefix(40))\"")
            }
            do {
                _ = try value.encoded()
            } catch {
                throw fail("fskv key \(entry.key) from column \(entry.column): \(error)")
            }
            fskv.append((entry.key, value))
        }
        var files: [(path: String, contents: [UInt8])] = []
        for entry in layout.files {
            guard let name = values[entry.column], !name.isEmpty else { throw fail("no file named in column \(entry.column)") }
            let path = name.hasPrefix("/") ? name : (filesFolder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw fail("column \(entry.column): cannot read \(path)")
            }
            files.append((entry.path, [UInt8](data)))
        }
        self.fskv = fskv
        self.files = files
    }

    /// A column's text as the Lua value its fskv key holds.
    static func value(_ text: String, as type: BoardDataLayout.LuaType) -> FSKVValue? {
        switch type {
        case .string: return .string(text)
        case .integer: return Int64(text.trimmingCharacters(in: .whitespaces)).map(FSKVValue.integer)
        case .number:
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else { return nil }
            return .number(number)
        case .boolean:
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "1", "yes": return .boolean(true)
            case "false", "0", "no": return .boolean(false)
            default: return nil
            }
        case .table:
            guard let data = text.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data), object is [Any] || object is [String: Any] else {
                return nil
            }
            return .table(text)
        }
    }

    /// The regions this write touches, for the start-up check against protected regions.
    public static func regions(for layout: BoardDataLayout) -> [LittleFSGeometry] {
        (layout.fskv.isEmpty ? [] : [LittleFSGeometry.ec618FSKV]) + (layout.files.isEmpty ? [] : [LittleFSGeometry.ec618Main])
    }

    /// What the flasher reads and writes back: the fskv region, then the main LittleFS.
    public var rewrites: [RegionRewrite] {
        var out: [RegionRewrite] = []
        if !fskv.isEmpty {
            let values = fskv
            let geometry = LittleFSGeometry.ec618FSKV
            out.append(RegionRewrite(name: "fskv", offset: geometry.flashOffset, size: geometry.regionSize) { current in
                var image = try Self.image(keeping: current, geometry: geometry, refuseDamaged: false)
                for (key, value) in values { try image.addFile("/" + key, contents: value.encoded(), replacing: true) }
                return try image.bytes()
            })
        }
        if !files.isEmpty {
            let files = self.files
            let geometry = LittleFSGeometry.ec618Main
            out.append(RegionRewrite(name: "littlefs", offset: geometry.flashOffset, size: geometry.regionSize) { current in
                var image = try Self.image(keeping: current, geometry: geometry, refuseDamaged: true)
                for (path, contents) in files { try image.addFile(path, contents: contents, replacing: true) }
                return try image.bytes()
            })
        }
        return out
    }

    /// A new image holding what `current` holds. A blank region starts empty. A damaged fskv
    /// region starts empty too (the firmware reformats it on its own); a damaged main LittleFS
    /// is refused, since writing over it would drop the platform's files.
    static func image(keeping current: [UInt8], geometry: LittleFSGeometry, refuseDamaged: Bool) throws -> LittleFSImage {
        if current.allSatisfy({ $0 == 0xFF }) { return try LittleFSImage(geometry: geometry) }
        do {
            return try LittleFSImage(geometry: geometry, keeping: try LittleFSReader.read(current))
        } catch {
            guard !refuseDamaged else {
                throw BoardDataRegionError("the board's file system does not read as littlefs (\(error)); "
                                           + "not written, so the platform's files in it are kept")
            }
            return try LittleFSImage(geometry: geometry)
        }
    }
}

/// A region of the board that cannot be rewritten safely.
public struct BoardDataRegionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
