import CLua

/// Small typed accessors over the Lua C API, for the runtime's primitives. Everything here is
/// synchronous and touches one `lua_State` on the runtime actor's executor.
enum LuaStack {
    /// The bytes of the string (or number, converted as Lua does) at `index`, or nil.
    static func bytes(_ L: OpaquePointer?, _ index: Int32) -> [UInt8]? {
        let type = lua_type(L, index)
        guard type == LUA_TSTRING || type == LUA_TNUMBER else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(L, index, &length) else { return nil }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The string at `index` decoded as UTF-8 (invalid bytes repaired), or nil.
    static func string(_ L: OpaquePointer?, _ index: Int32) -> String? {
        bytes(L, index).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The integer at `index` (numbers are truncated), or nil.
    static func integer(_ L: OpaquePointer?, _ index: Int32) -> Int? {
        guard lua_type(L, index) == LUA_TNUMBER else { return nil }
        if lua_isinteger(L, index) != 0 { return Int(shim_lua_tointeger(L, index)) }
        let n = shim_lua_tonumber(L, index)
        return n.isFinite ? Int(n) : nil
    }

    static func push(_ L: OpaquePointer?, _ bytes: [UInt8]) {
        // An empty array may have no base address.
        guard !bytes.isEmpty else { _ = lua_pushlstring(L, "", 0); return }
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) {
                _ = lua_pushlstring(L, $0, buffer.count)
            }
        }
    }

    static func push(_ L: OpaquePointer?, _ text: String) { push(L, Array(text.utf8)) }

    /// Key/value string pairs of the table at `index` (non-string keys and values are skipped).
    static func stringPairs(_ L: OpaquePointer?, _ index: Int32) -> [(String, String)] {
        guard lua_type(L, index) == LUA_TTABLE else { return [] }
        let table = lua_absindex(L, index)
        var pairs: [(String, String)] = []
        lua_pushnil(L)
        while lua_next(L, table) != 0 {
            // Copy the key before converting: lua_tolstring on a number key would confuse lua_next.
            lua_pushvalue(L, -2)
            if let key = string(L, -1), let value = string(L, -2) { pairs.append((key, value)) }
            shim_lua_pop(L, 2)
        }
        return pairs
    }

    /// Sets `table[key] = string value` for the table on top of the stack.
    static func setField(_ L: OpaquePointer?, _ key: String, _ value: String) {
        push(L, value)
        lua_setfield(L, -2, key)
    }
}

/// Registers Swift functions as Lua C closures whose first upvalue is the runtime host.
struct LuaRegistrar {
    let L: OpaquePointer?
    let host: UnsafeMutableRawPointer

    /// Adds `name = function` to the table on top of the stack.
    func add(_ name: String, _ function: @escaping lua_CFunction) {
        lua_pushlightuserdata(L, host)
        lua_pushcclosure(L, function, 1)
        lua_setfield(L, -2, name)
    }
}
