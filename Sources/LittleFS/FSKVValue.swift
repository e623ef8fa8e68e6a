import Foundation

/// A value as LuatOS' `fskv.set` stores it: one byte naming the Lua type, then the payload
/// (openLuat/LuatOS `components/fskv/luat_lib_fskv.c`, `l_fskv_set` / `l_fskv_get`).
public enum FSKVValue: Sendable, Equatable {
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string([UInt8])
    /// JSON text of a Lua table, as `json.encode` writes it; `fskv.get` decodes it with `json.decode`.
    case table(String)

    public static func string(_ text: String) -> FSKVValue { .string(Array(text.utf8)) }

    /// Type bytes: Lua 5.3's `LUA_TBOOLEAN` 1, `LUA_TNUMBER` 3, `LUA_TSTRING` 4, `LUA_TTABLE` 5, and
    /// LuatOS' own `LUA_TINTEGER` 21 (openLuat/LuatOS `lua/include/lua.h`).
    enum TypeByte: UInt8 { case boolean = 1, number = 3, string = 4, table = 5, integer = 21 }

    /// `fskv.set` refuses a type byte + payload longer than `LUAT_FSKV_MAX_SIZE` (4096).
    public static let maxEncodedSize = 4096
    /// EC618 builds use `LUA_32BITS` (spec luatos-formats.md §5 "numbers"): `lua_Integer` is 32-bit,
    /// and `fskv.get` copies `sizeof(lua_Integer)` bytes. An integer is written as 8 little-endian
    /// bytes so 64-bit builds read it whole; a 32-bit build reads the low 4, so values must fit Int32.
    public static let boardIntegers = Int64(Int32.min)...Int64(Int32.max)

    public var luaType: String {
        switch self {
        case .boolean: return "boolean"
        case .integer: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .table: return "table"
        }
    }

    /// The file's bytes. Throws for a value the board would mangle or refuse.
    public func encoded() throws -> [UInt8] {
        let bytes: [UInt8]
        switch self {
        case .boolean(let b):
            bytes = [TypeByte.boolean.rawValue, b ? 1 : 0]
        case .integer(let v):
            guard Self.boardIntegers.contains(v) else {
                throw FSKVError.badValue("integer \(v) does not fit the board's 32-bit Lua integers")
            }
            bytes = [TypeByte.integer.rawValue] + withUnsafeBytes(of: v.littleEndian, Array.init)
        case .number(let v):
            let f = Float(v)
            guard v.isNaN || f.isFinite == v.isFinite else {
                throw FSKVError.badValue("number \(v) is out of the board's float32 range")
            }
            bytes = [TypeByte.number.rawValue] + withUnsafeBytes(of: f.bitPattern.bigEndian, Array.init)
        case .string(let s):
            bytes = [TypeByte.string.rawValue] + s
        case .table(let json):
            let text = Array(json.utf8)
            guard let parsed = try? JSONSerialization.jsonObject(with: Data(text)),
                  parsed is [Any] || parsed is [String: Any] else {
                throw FSKVError.badValue("table value is not a JSON object or array")
            }
            bytes = [TypeByte.table.rawValue] + text
        }
        guard bytes.count <= Self.maxEncodedSize else {
            throw FSKVError.valueTooLarge(payload: bytes.count - 1, max: Self.maxEncodedSize - 1)
        }
        return bytes
    }

    /// Decodes a file's bytes as `fskv.get` would.
    public static func decode(_ bytes: [UInt8]) throws -> FSKVValue {
        guard let first = bytes.first, bytes.count >= 2 else {
            throw FSKVError.badEncoding("\(bytes.count) bytes, a value has a type byte and a payload")
        }
        let payload = Array(bytes.dropFirst())
        switch TypeByte(rawValue: first) {
        case .boolean:
            return .boolean(payload[0] != 0)
        case .integer:
            // A 32-bit build writes 4 bytes, a 64-bit build (and this writer) 8.
            switch payload.count {
            case 4: return .integer(Int64(Int32(bitPattern: littleEndian(payload))))
            case 8: return .integer(Int64(bitPattern: littleEndian(payload)))
            default: throw FSKVError.badEncoding("integer payload is \(payload.count) bytes, expected 4 or 8")
            }
        case .number:
            guard payload.count == 4 else { throw FSKVError.badEncoding("number payload is \(payload.count) bytes, expected 4") }
            let bits = payload.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return .number(Double(Float(bitPattern: bits)))
        case .string:
            return .string(payload)
        case .table:
            return .table(String(decoding: payload, as: UTF8.self))
        case nil:
            throw FSKVError.badEncoding("unknown type byte \(first)")
        }
    }

    /// A short human form for listings: strings quoted and cut, tables as their JSON.
    public func preview(limit: Int = 48) -> String {
        func cut(_ s: String) -> String { s.count > limit ? String(s.prefix(limit)) + "…" : s }
        switch self {
        case .boolean(let b): return b ? "true" : "false"
        case .integer(let v): return String(v)
        case .number(let v): return String(Float(v))
        case .string(let s):
            guard let text = String(validating: s, as: UTF8.self),
                  !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) else {
                return "<\(s.count) bytes>"
            }
            return "\"" + cut(text) + "\""
        case .table(let json): return cut(json)
        }
    }
}

private func littleEndian<T: FixedWidthInteger>(_ bytes: [UInt8]) -> T {
    bytes.reversed().reduce(T(0)) { $0 << 8 | T($1) }
}
