import CLua
import Foundation

/// `json.encode`/`json.decode` between Lua values and JSON text, with lua-cjson's conventions
/// (what LuatOS embeds): a table whose keys are exactly 1…n is an array, any other table an
/// object (an empty table encodes as `{}`); integers stay integers; `null` decodes to nil.
enum RuntimeJSON {
    struct Failure: Error { let reason: String }

    static func encode(_ L: OpaquePointer?, _ index: Int32, depth: Int = 0) throws -> String {
        guard depth < 64 else { throw Failure(reason: "nesting too deep (cycle?)") }
        let at = lua_absindex(L, index)
        switch lua_type(L, at) {
        case LUA_TNIL: return "null"
        case LUA_TBOOLEAN: return lua_toboolean(L, at) != 0 ? "true" : "false"
        case LUA_TNUMBER:
            if lua_isinteger(L, at) != 0 { return String(shim_lua_tointeger(L, at)) }
            let n = shim_lua_tonumber(L, at)
            guard n.isFinite else { throw Failure(reason: "cannot encode \(n)") }
            if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
            return String(format: "%.14g", n)
        case LUA_TSTRING: return quote(LuaStack.bytes(L, at) ?? [])
        case LUA_TTABLE:
            let count = Int(lua_rawlen(L, at))
            var keys = 0
            lua_pushnil(L)
            while lua_next(L, at) != 0 { keys += 1; shim_lua_pop(L, 1) }
            if count > 0 && keys == count {
                var parts: [String] = []
                for i in 1...count {
                    lua_rawgeti(L, at, lua_Integer(i))
                    defer { shim_lua_pop(L, 1) }
                    parts.append(try encode(L, -1, depth: depth + 1))
                }
                return "[" + parts.joined(separator: ",") + "]"
            }
            var parts: [String] = []
            lua_pushnil(L)
            while lua_next(L, at) != 0 {
                lua_pushvalue(L, -2)
                let keyType = lua_type(L, -1)
                guard keyType == LUA_TSTRING || keyType == LUA_TNUMBER,
                      let key = LuaStack.bytes(L, -1) else {
                    shim_lua_pop(L, 3)
                    throw Failure(reason: "table key of type \(String(cString: lua_typename(L, keyType)))")
                }
                shim_lua_pop(L, 1)
                do { parts.append(quote(key) + ":" + (try encode(L, -1, depth: depth + 1))) }
                catch { shim_lua_pop(L, 2); throw error }
                shim_lua_pop(L, 1)
            }
            return "{" + parts.joined(separator: ",") + "}"
        default:
            throw Failure(reason: "cannot encode a \(String(cString: lua_typename(L, lua_type(L, at))))")
        }
    }

    static func quote(_ bytes: [UInt8]) -> String {
        var out = "\""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "/": out += "\\/"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// Parses `text` and pushes the value (one stack slot), or throws without pushing.
    static func decode(_ L: OpaquePointer?, _ text: [UInt8]) throws {
        var parser = Parser(bytes: text, L: L)
        let top = lua_gettop(L)
        do {
            parser.skipSpace()
            try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.at == text.count else { throw Failure(reason: "trailing characters at \(parser.at)") }
        } catch {
            lua_settop(L, top)
            throw error
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        let L: OpaquePointer?
        var at = 0

        mutating func skipSpace() {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        func fail(_ what: String) -> Failure { Failure(reason: "\(what) at character \(at)") }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            guard at + w.count <= bytes.count, Array(bytes[at..<at + w.count]) == w else { throw fail("bad literal") }
            at += w.count
        }

        mutating func value(depth: Int) throws {
            guard depth < 64 else { throw fail("nesting too deep") }
            guard at < bytes.count else { throw fail("unexpected end") }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                lua_createtable(L, 0, 0)
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return }
                while true {
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    LuaStack.push(L, try string())
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    at += 1
                    skipSpace()
                    try value(depth: depth + 1)
                    lua_rawset(L, -3)
                    skipSpace()
                    guard at < bytes.count else { throw fail("unexpected end") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == UInt8(ascii: "}") { at += 1; return }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                at += 1
                lua_createtable(L, 0, 0)
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return }
                var index: lua_Integer = 1
                while true {
                    skipSpace()
                    try value(depth: depth + 1)
                    lua_rawseti(L, -2, index)
                    index += 1
                    skipSpace()
                    guard at < bytes.count else { throw fail("unexpected end") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == UInt8(ascii: "]") { at += 1; return }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): LuaStack.push(L, try string())
            case UInt8(ascii: "t"): try literal("true"); lua_pushboolean(L, 1)
            case UInt8(ascii: "f"): try literal("false"); lua_pushboolean(L, 0)
            case UInt8(ascii: "n"): try literal("null"); lua_pushnil(L)
            default:
                let start = at
                while at < bytes.count, "+-0123456789.eE".utf8.contains(bytes[at]) { at += 1 }
                let text = String(decoding: bytes[start..<at], as: UTF8.self)
                if let i = Int64(text) { lua_pushinteger(L, lua_Integer(i)) }
                else if let d = Double(text), !text.isEmpty { lua_pushnumber(L, d) }
                else { at = start; throw fail("unexpected character") }
            }
        }

        mutating func string() throws -> [UInt8] {
            at += 1
            var out: [UInt8] = []
            while at < bytes.count {
                let c = bytes[at]
                at += 1
                if c == UInt8(ascii: "\"") { return out }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard at < bytes.count else { break }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard at + 4 <= bytes.count,
                          let code = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
                        throw fail("bad \\u escape")
                    }
                    at += 4
                    out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                default: out.append(e)
                }
            }
            throw fail("unterminated string")
        }
    }
}
