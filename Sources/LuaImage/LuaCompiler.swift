import CLua

/// Compiles Lua 5.3 source with the host's liblua5.3 (`luaL_loadbufferx` + `lua_dump`), in
/// process. The result is in the host layout (`LuaDumpLayout.host64`); `EC618Bytecode` rewrites it.
public enum LuaCompiler {
    /// Compiles `source` under the chunk name `@<chunkName>` (what tracebacks and
    /// `log.style(1)` show) and returns the host dump.
    ///
    /// - Parameters:
    ///   - file: the input file named in errors (as the user gave it).
    ///   - strip: drop debug information, as `luac -s` does.
    /// - Throws: `LuaImageError` `file:line: message` for a syntax error.
    public static func compile(_ source: [UInt8], chunkName: String, file: String,
                               strip: Bool = false) throws -> [UInt8] {
        guard let L = luaL_newstate() else {
            throw LuaImageError(file: file, reason: "Lua could not allocate a state")
        }
        defer { lua_close(L) }
        // A non-empty copy: an empty array may have no base address, and Lua only reads `count` bytes.
        let text = source.isEmpty ? [0] : source
        let status = text.withUnsafeBytes { buf in
            luaL_loadbufferx(L, buf.baseAddress!.assumingMemoryBound(to: CChar.self), source.count,
                             "@" + chunkName, "t")
        }
        guard status == LUA_OK else {
            let message = lua_tolstring(L, -1, nil).map { String(cString: $0) } ?? "unknown error"
            throw syntaxError(message, chunkName: chunkName, file: file)
        }
        let sink = DumpSink()
        let rc = lua_dump(L, { _, p, size, ud in
            guard let p, let ud else { return 1 }
            let sink = Unmanaged<DumpSink>.fromOpaque(ud).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: p, count: size))
            return 0
        }, Unmanaged.passUnretained(sink).toOpaque(), strip ? 1 : 0)
        guard rc == 0 else { throw LuaImageError(file: file, reason: "lua_dump failed (\(rc))") }
        return sink.bytes
    }

    /// Turns Lua's `chunk:line: message` into a `LuaImageError` naming the user's file.
    static func syntaxError(_ message: String, chunkName: String, file: String) -> LuaImageError {
        // Lua shortens long chunk names (LUA_IDSIZE), so find the `:<digits>: ` after any prefix.
        var rest = Substring(message)
        if rest.hasPrefix(chunkName) { rest = rest.dropFirst(chunkName.count) }
        else if let r = rest.range(of: ":") { rest = rest[r.lowerBound...] }
        if rest.first == ":" {
            let digits = rest.dropFirst().prefix { $0.isNumber }
            let after = rest.dropFirst(1 + digits.count)
            if let line = Int(digits), after.hasPrefix(": ") {
                return LuaImageError(file: file, line: line, reason: String(after.dropFirst(2)))
            }
        }
        return LuaImageError(file: file, reason: message)
    }
}

/// Collects `lua_dump` output; lives only for one synchronous dump call.
private final class DumpSink {
    var bytes: [UInt8] = []
}
