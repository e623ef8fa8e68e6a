import LittleFS

/// Where each board's own data goes (`[provisioning]` in the profile): per-board data rows'
/// columns mapped to fskv keys with their Lua types, and to files in the board's LittleFS.
/// fskv survives script updates (it is its own littlefs region), so per-board values belong
/// there and not in the script image, which the next script update replaces.
public struct BoardDataLayout: Sendable, Equatable {
    /// The Lua type an fskv value is stored as (its type byte on the board).
    public enum LuaType: String, Sendable, Equatable, CaseIterable {
        case string, integer, number, boolean, table
    }

    /// One fskv key filled from one column.
    public struct FSKVEntry: Sendable, Equatable {
        public let key: String
        public let column: String
        public let type: LuaType

        public init(key: String, column: String, type: LuaType) {
            self.key = key
            self.column = column
            self.type = type
        }
    }

    /// One file in the main LittleFS (mounted at `/`), its bytes read from the file the column
    /// names (relative to the data file's folder).
    public struct FileEntry: Sendable, Equatable {
        public let path: String
        public let column: String

        public init(path: String, column: String) {
            self.path = path
            self.column = column
        }
    }

    /// The column `--board-data` rows are looked up by (the board's IMEI by default).
    public let keyColumn: String
    public let fskv: [FSKVEntry]
    public let files: [FileEntry]

    /// The column rows are keyed by when a profile says nothing.
    public static let defaultKeyColumn = "imei"
    /// What a board can be looked up by: the identities it reports.
    public static let keyColumns = ["imei", "iccid"]

    public init(keyColumn: String = defaultKeyColumn, fskv: [FSKVEntry] = [], files: [FileEntry] = []) {
        self.keyColumn = keyColumn
        self.fskv = fskv
        self.files = files
    }

    /// Nothing to write: a station without per-board data.
    public var isEmpty: Bool { fskv.isEmpty && files.isEmpty }

    /// Every column a row must have.
    public var columns: [String] { fskv.map(\.column) + files.map(\.column) }
}

/// The profile's `[provisioning]` table.
struct ProfileProvisioningFile: Decodable {
    struct Key: Decodable { let key: String; let column: String; let type: String? }
    struct File: Decodable { let path: String; let column: String }
    let key_column: String?
    let fskv: [Key]?
    let files: [File]?

    func layout(refuse: (String) -> FirmwareError) throws -> BoardDataLayout {
        let keyColumn = key_column ?? BoardDataLayout.defaultKeyColumn
        guard BoardDataLayout.keyColumns.contains(keyColumn) else {
            throw refuse("provisioning.key_column \"\(keyColumn)\": boards are looked up by "
                         + BoardDataLayout.keyColumns.joined(separator: " or "))
        }
        var keys = Set<String>()
        let entries = try (fskv ?? []).enumerated().map { index, entry in
            let name = "provisioning.fskv[\(index)]"
            do {
                try FSKVImage.check(entry.key)
            } catch {
                throw refuse("\(name).key: \(error)")
            }
            guard keys.insert(entry.key).inserted else { throw refuse("\(name).key \"\(entry.key)\" is listed twice") }
            guard !entry.column.isEmpty else { throw refuse("\(name).column is empty") }
            let typeName = entry.type ?? BoardDataLayout.LuaType.string.rawValue
            guard let type = BoardDataLayout.LuaType(rawValue: typeName) else {
                throw refuse("\(name).type \"\(typeName)\" is not one of "
                             + BoardDataLayout.LuaType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return BoardDataLayout.FSKVEntry(key: entry.key, column: entry.column, type: type)
        }
        var paths = Set<String>()
        let files = try (files ?? []).enumerated().map { index, file in
            let name = "provisioning.files[\(index)]"
            let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard file.path.hasPrefix("/"), parts.count >= 2,
                  parts.dropFirst().allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.utf8.count <= 255 }) else {
                throw refuse("\(name).path \"\(file.path)\" must be an absolute path in the board's file system (\"/cert.pem\")")
            }
            guard paths.insert(file.path).inserted else { throw refuse("\(name).path \"\(file.path)\" is listed twice") }
            guard !file.column.isEmpty else { throw refuse("\(name).column is empty") }
            return BoardDataLayout.FileEntry(path: file.path, column: file.column)
        }
        return BoardDataLayout(keyColumn: keyColumn, fskv: entries, files: files)
    }
}
