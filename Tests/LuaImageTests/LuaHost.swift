import CLua
import LuaImage

/// Runs a chunk (source or host-layout bytecode) in a fresh host Lua 5.3 state and returns what
/// it printed: one line per `print` call, arguments joined by TAB.
enum LuaHost {
    struct RunError: Error, CustomStringConvertible {
        let description: String
    }

    private static let capturePrint = """
        local out = {}
        __captured = out
        print = function(...)
          local t = {}
          for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end
          out[#out + 1] = table.concat(t, "\\t")
        end
        """

    static func output(of chunk: [UInt8], name: String = "main.lua") throws -> String {
        guard let L = luaL_newstate() else { throw RunError(description: "no Lua state") }
        defer { lua_close(L) }
        luaL_openlibs(L)
        try run(L, Array(capturePrint.utf8), name: "capture")
        try run(L, chunk, name: name)
        try run(L, Array("return table.concat(__captured, '\\n')".utf8), name: "collect", results: 1)
        var length = 0
        guard let p = lua_tolstring(L, -1, &length) else { throw RunError(description: "no output") }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
    }

    private static func run(_ L: OpaquePointer, _ chunk: [UInt8], name: String, results: Int32 = 0) throws {
        let text = chunk.isEmpty ? [0] : chunk
        let status = text.withUnsafeBytes {
            luaL_loadbufferx(L, $0.baseAddress!.assumingMemoryBound(to: CChar.self), chunk.count, "@" + name, "bt")
        }
        guard status == LUA_OK, shim_lua_pcall(L, 0, results, 0) == LUA_OK else {
            throw RunError(description: shim_lua_tostring(L, -1).map { String(cString: $0) } ?? "error")
        }
    }
}

/// Hex string → bytes, for writing expected bytes the way the spec prints them.
func hexBytes(_ s: String) -> [UInt8] {
    let digits = s.split(whereSeparator: { $0 == " " || $0 == "\n" })
    return digits.map { UInt8($0, radix: 16)! }
}
