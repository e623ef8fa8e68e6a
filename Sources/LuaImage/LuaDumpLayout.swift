/// The C type widths a Lua 5.3 binary chunk is written with (header bytes 12...16).
///
/// `int` and `Instruction` are 4 bytes on every target this project meets; `size_t`,
/// `lua_Integer` and `lua_Number` vary. A loader compares every header byte, so a chunk must be
/// written in exactly the layout of the VM that will load it.
public struct LuaDumpLayout: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Width of `size_t` (long string lengths): 4 or 8.
    public let sizeT: Int
    /// Width of `lua_Integer`: 4 (int32) or 8 (int64).
    public let integer: Int
    /// Width of `lua_Number`: 4 (IEEE binary32) or 8 (binary64).
    public let number: Int

    /// `int` is 4 bytes in every supported layout.
    public static let intWidth = 4
    /// `Instruction` is 4 bytes in every supported layout.
    public static let instructionWidth = 4

    public init(sizeT: Int, integer: Int, number: Int) {
        self.sizeT = sizeT
        self.integer = integer
        self.number = number
    }

    /// EC618 LuatOS (`LUA_32BITS`, Cortex-M3): `04 04 04 04 04` (spec §3.1).
    public static let ec618 = LuaDumpLayout(sizeT: 4, integer: 4, number: 4)
    /// LuatOS builds with `LUAT_CONF_VM_64bit` (`script.bitw` 64): `04 04 04 08 08`.
    public static let luatos64 = LuaDumpLayout(sizeT: 4, integer: 8, number: 8)
    /// Stock Lua 5.3 on a 64-bit host (Debian's liblua5.3, `luac5.3`): `04 08 04 08 08`.
    public static let host64 = LuaDumpLayout(sizeT: 8, integer: 8, number: 8)

    /// The layout a LuatOS firmware with `script.bitw` = `bitWidth` loads.
    public static func luatos(bitWidth: Int) -> LuaDumpLayout? {
        switch bitWidth {
        case 32: return .ec618
        case 64: return .luatos64
        default: return nil
        }
    }

    /// The 25 header bytes every chunk in this layout starts with.
    public var headerBytes: [UInt8] {
        var w = ByteWriter()
        w.append(LuaChunkFormat.signature)
        w.u8(LuaChunkFormat.version)
        w.u8(LuaChunkFormat.format)
        w.append(LuaChunkFormat.data)
        w.append([UInt8(Self.intWidth), UInt8(sizeT), UInt8(Self.instructionWidth), UInt8(integer), UInt8(number)])
        w.signed(LuaChunkFormat.checkInteger, width: integer)
        writeNumber(LuaChunkFormat.checkNumber, into: &w)
        return w.bytes
    }

    func writeNumber(_ value: Double, into w: inout ByteWriter) {
        if number == 4 {
            w.unsigned(UInt64(Float(value).bitPattern), width: 4)
        } else {
            w.unsigned(value.bitPattern, width: 8)
        }
    }

    func readNumber(from r: inout ByteReader, _ field: String) throws -> Double {
        if number == 4 {
            return Double(Float(bitPattern: UInt32(try r.unsigned(width: 4, field))))
        }
        return Double(bitPattern: try r.unsigned(width: 8, field))
    }

    public var description: String {
        "int 4, size_t \(sizeT), Instruction 4, lua_Integer \(integer), lua_Number \(number)"
    }
}

/// Constants of the Lua 5.3 chunk header (`lundump.h`).
enum LuaChunkFormat {
    static let signature: [UInt8] = [0x1B, 0x4C, 0x75, 0x61]  // "\x1bLua"
    static let version: UInt8 = 0x53
    static let format: UInt8 = 0
    static let data: [UInt8] = [0x19, 0x93, 0x0D, 0x0A, 0x1A, 0x0A]
    static let checkInteger: Int64 = 0x5678
    static let checkNumber: Double = 370.5
    static let headerSize = 4 + 1 + 1 + 6 + 5
}
