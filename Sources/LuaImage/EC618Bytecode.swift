/// Conversion between the host's 64-bit Lua 5.3 dumps and the 32-bit layout the EC618 LuatOS
/// firmware loads (`luatos-formats.md` §3).
public enum EC618Bytecode {
    /// The 25 header bytes of every chunk the EC618 accepts (spec §3.1).
    public static let header: [UInt8] = LuaDumpLayout.ec618.headerBytes

    /// Compiles `source` for a LuatOS device in one step: syntax check, the constant-folding check
    /// of `ConstantFoldingCheck` (for 32-bit layouts), then the dump rewritten into `layout`.
    /// - Parameters:
    ///   - chunkName: the flat name the device sees (`main.lua`, shown as `@main.lua`).
    ///   - file: the input named in errors.
    ///   - strip: drop debug info (`use-debug` false).
    public static func compile(_ source: [UInt8], chunkName: String, file: String, strip: Bool = false,
                               to layout: LuaDumpLayout = .ec618) throws -> [UInt8] {
        // Always compiled with debug info: refusals need line numbers; stripping comes after.
        let dump = try LuaCompiler.compile(source, chunkName: chunkName, file: file)
        if layout.integer == 4 || layout.number == 4 {
            try ConstantFoldingCheck.check(source, file: file)
        }
        return try transcode(dump, file: file, strip: strip, to: layout)
    }

    /// Rewrites a dump in any supported layout (normally the host's 64-bit one) into `layout`
    /// (the EC618 layout unless a `bitw 64` firmware asks otherwise), optionally stripping debug
    /// information. Constants the target cannot hold are refused naming `file` and the line.
    public static func transcode(_ dump: [UInt8], file: String = "chunk", strip: Bool = false,
                                 to layout: LuaDumpLayout = .ec618) throws -> [UInt8] {
        let (chunk, _) = try LuaChunkReader.read(dump, file: file)
        return try LuaChunkWriter(layout: layout, file: file).write(strip ? chunk.stripped() : chunk)
    }

    /// The reverse: an EC618 (or other LuatOS) chunk rewritten for the host's liblua5.3, so
    /// simulations can run flashed scripts. Widening is exact: every int32 and binary32 value
    /// has a 64-bit twin.
    public static func toHost(_ dump: [UInt8], file: String = "chunk") throws -> [UInt8] {
        let (chunk, _) = try LuaChunkReader.read(dump, file: file)
        return try LuaChunkWriter(layout: .host64, file: file).write(chunk)
    }
}
