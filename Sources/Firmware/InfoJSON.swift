import Foundation

/// The `info.json` of a `.soc`, parsed tolerantly (spec: luatos-formats.md §1.6).
///
/// Hex addresses are accepted with or without `0x` and with any leading zeros; KiB sizes as JSON
/// numbers or numeric strings. Fields this tool does not use are kept in `raw`, never fatal.
public struct InfoJSON: Sendable, Equatable {
    /// How the Lua scripts must be built for this core.
    public struct ScriptSettings: Sendable, Equatable {
        /// Member name of a script image inside a `.soc` (`script.file`, default `script.bin`).
        public let file: String
        /// `script.lua`, e.g. "5.3".
        public let luaVersion: String
        /// 32 (EC618: 4-byte integers and floats) or 64.
        public let bitWidth: Int
        /// Store compiled bytecode rather than sources.
        public let useLuac: Bool
        /// Keep debug info (line numbers, local names) in compiled chunks.
        public let useDebug: Bool
    }

    public let chipType: String
    /// Member name of the core package (`rom.file`).
    public let romFile: String
    public let versionCore: String?
    public let versionBSP: String?
    public let script: ScriptSettings
    /// Where the LuaDB image goes and its capacity.
    public let scriptPartition: ScriptPartition
    /// `download.bl_addr`, `core_addr` as declared.
    public let bootloaderAddress: UInt32?
    public let coreAddress: UInt32?
    /// File-system region as `info.json` states it (`download.fs_addr`, `fs.total_len` KiB).
    public let fileSystemAddress: UInt32?
    public let fileSystemSize: Int?
    /// Start of the script-OTA staging region (`fota.full_addr`).
    public let fotaFullAddress: UInt32?
    /// Baud handed to the AgentBoot stage (`download.force_br`).
    public let forceBaud: Int?
    /// The whole document, including fields not modelled above.
    public let raw: JSONValue

    /// Parses `bytes`. `file` names the member in errors (e.g. `X.soc:info.json`).
    public init(bytes: [UInt8], file: String) throws {
        let raw: JSONValue
        do {
            raw = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw FirmwareError(file: file, reason: "not valid JSON (\(Self.describe(error)))")
        }
        guard case .object = raw else {
            throw FirmwareError(file: file, reason: "not a JSON object")
        }
        let fields = FieldReader(root: raw, file: file)

        chipType = try fields.string("chip.type")
        guard chipType.lowercased() == EC618FlashMap.chipType else {
            throw FirmwareError(file: file, reason:
                "chip.type is \"\(chipType)\"; this tool flashes \(EC618FlashMap.chipType) (Air780E family) only")
        }
        romFile = try fields.optionalString("rom.file") ?? "luatos.binpkg"
        versionCore = try fields.optionalString("rom.version-core")
        versionBSP = try fields.optionalString("rom.version-bsp")

        let bitWidth = try fields.optionalInt("script.bitw") ?? 32
        guard bitWidth == 32 || bitWidth == 64 else {
            throw FirmwareError(file: file, reason: "script.bitw is \(bitWidth); expected 32 or 64")
        }
        script = ScriptSettings(
            file: try fields.optionalString("script.file") ?? "script.bin",
            luaVersion: try fields.optionalString("script.lua") ?? "5.3",
            bitWidth: bitWidth,
            useLuac: try fields.optionalBool("script.use-luac") ?? true,
            useDebug: try fields.optionalBool("script.use-debug") ?? true)

        let scriptAddress = try fields.hex("download.script_addr")
        guard let scriptBytes = try fields.optionalKiB("rom.fs.script.size", allowsZero: false) else {
            throw fields.missing("rom.fs.script.size")
        }
        // Both terms are bounded (a UInt32 and at most the 4 MiB flash), so the sum cannot overflow.
        guard Int(scriptAddress) + scriptBytes <= EC618FlashMap.apFlashSize else {
            throw FirmwareError(file: file, reason: String(format:
                "script partition 0x%X + %d KiB runs past the end of the 4 MiB AP flash", scriptAddress,
                scriptBytes / 1024))
        }
        scriptPartition = ScriptPartition(flashOffset: scriptAddress, capacity: scriptBytes)

        bootloaderAddress = try fields.optionalHex("download.bl_addr")
        coreAddress = try fields.optionalHex("download.core_addr")
        fileSystemAddress = try fields.optionalHex("download.fs_addr")
        fileSystemSize = try fields.optionalKiB("fs.total_len", allowsZero: true)
        fotaFullAddress = try fields.optionalHex("fota.full_addr")
        forceBaud = try fields.optionalInt("download.force_br")
        self.raw = raw
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}

/// Typed access to dotted paths of a JSON document, with errors that name the field.
struct FieldReader {
    let root: JSONValue
    let file: String

    func missing(_ path: String) -> FirmwareError {
        FirmwareError(file: file, reason: "missing field \(path)")
    }

    func wrongType(_ path: String, _ expected: String) -> FirmwareError {
        FirmwareError(file: file, reason: "field \(path) is not \(expected)")
    }

    func string(_ path: String) throws -> String {
        guard let v = try optionalString(path) else { throw missing(path) }
        return v
    }

    func optionalString(_ path: String) throws -> String? {
        switch root.at(path) {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw wrongType(path, "a string")
        }
    }

    func optionalBool(_ path: String) throws -> Bool? {
        switch root.at(path) {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .string(let s)? where ["true", "false"].contains(s.lowercased()): return s.lowercased() == "true"
        default: throw wrongType(path, "true or false")
        }
    }

    /// A decimal integer given as a JSON number or a numeric string.
    func int(_ path: String) throws -> Int {
        guard let v = try optionalInt(path) else { throw missing(path) }
        return v
    }

    func optionalInt(_ path: String) throws -> Int? {
        switch root.at(path) {
        case nil, .null?: return nil
        case .number(let n)? where n.rounded() == n && abs(n) < 1e15: return Int(n)
        case .string(let s)?:
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else { throw wrongType(path, "a decimal number") }
            return v
        default: throw wrongType(path, "a whole number")
        }
    }

    /// A size in KiB (`rom.fs.script.size`, `fs.total_len`), returned in bytes. The value comes
    /// from the package, so it is range-checked before it is scaled and the scaling itself is
    /// checked: a size past the EC618's AP flash (the largest region any of them describes) is
    /// refused naming the field, never multiplied into an overflow.
    func optionalKiB(_ path: String, allowsZero: Bool) throws -> Int? {
        guard let kib = try optionalInt(path) else { return nil }
        let (bytes, overflow) = kib.multipliedReportingOverflow(by: 1024)
        guard kib >= (allowsZero ? 0 : 1), !overflow, bytes <= EC618FlashMap.apFlashSize else {
            throw FirmwareError(file: file, reason: "\(path) is \(kib) KiB; out of range "
                                + "(\(allowsZero ? 0 : 1)–\(EC618FlashMap.apFlashSize / 1024) KiB, the EC618's AP flash)")
        }
        return bytes
    }

    /// A hex address such as `2CC000`, `0x2CC000` or `002CC000` (a JSON number is taken as is).
    func hex(_ path: String) throws -> UInt32 {
        guard let v = try optionalHex(path) else { throw missing(path) }
        return v
    }

    func optionalHex(_ path: String) throws -> UInt32? {
        switch root.at(path) {
        case nil, .null?: return nil
        case .number(let n)? where n >= 0 && n <= Double(UInt32.max) && n.rounded() == n: return UInt32(n)
        case .string(let s)?:
            var digits = s.trimmingCharacters(in: .whitespaces)
            if digits.lowercased().hasPrefix("0x") { digits.removeFirst(2) }
            guard !digits.isEmpty, let v = UInt32(digits, radix: 16) else {
                throw wrongType(path, "a hex address (got \"\(s)\")")
            }
            return v
        default: throw wrongType(path, "a hex address")
        }
    }
}
