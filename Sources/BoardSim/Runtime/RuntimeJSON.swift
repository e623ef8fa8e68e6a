import CLua
import Foundation

/// `json.encode`/`json.decode` between Lua values and JSON text, as LuatOS' lua-cjson does it
/// (components/lua-cjson/lua_cjson.c, the 2024 code of V1112):
/// - a table whose keys are all positive integers is an array up to its largest key (holes are
///   `null`); an excessively sparse one (largest key > 2 × count and > 10) is an error; any other
///   table, and an empty one, is an object;
/// - integers print with `%ld`; floats with `%.7f` (or the format given as `json.encode`'s second
///   argument), values within ±FLT_EPSILON as `0`; numbers are float32 on the board (LUA_32BITS,
///   lua/include/luaconf.h), so a float is rounded to float32 before printing;
/// - decode: `null` is `json.null` (a NULL light userdata); a number token without `.` is read
///   with `strtol` (int32 on the board, saturating at ±2^31) and is an integer unless that gives
///   0; otherwise it is a float32; errors read "Expected X but found Y at character N".
enum RuntimeJSON {
    struct Failure: Error { let reason: String }

    static let defaultFloatFormat = "%.7f"

    /// The float format for `json.encode(v, mode)`: "12f" → "%.12f", "%.3g" as given; anything
    /// else (or nil) the default, as `l_json_encode_safe` accepts modes of 2…7 characters ending in f or g.
    static func floatFormat(_ mode: String?) -> String {
        guard let mode, mode.utf8.count > 1, mode.utf8.count < 8, mode.hasSuffix("f") || mode.hasSuffix("g") else {
            return defaultFloatFormat
        }
        let format = mode.hasPrefix("%") ? mode : "%." + mode
        // Only a precision (and width) may come before the conversion: nothing else reaches String(format:).
        let body = format.dropFirst().dropLast()
        guard body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else { return defaultFloatFormat }
        return format
    }

    static func number(_ L: OpaquePointer?, _ at: Int32, floatFormat: String) throws -> String {
        if lua_isinteger(L, at) != 0 { return String(shim_lua_tointeger(L, at)) }
        let n = shim_lua_tonumber(L, at)
        guard n.isFinite else { throw Failure(reason: "Cannot serialise number: must not be NaN or Inf") }
        let single = Double(Float(n))
        if abs(single) <= Double(Float.ulpOfOne) { return "0" }
        return String(format: floatFormat, single)
    }

    static func encode(_ L: OpaquePointer?, _ index: Int32, floatFormat: String = defaultFloatFormat, depth: Int = 0) throws -> String {
        guard depth < 1000 else { throw Failure(reason: "Cannot serialise, excessive nesting (\(depth + 1))") }
        let at = lua_absindex(L, index)
        switch lua_type(L, at) {
        case LUA_TNIL: return "null"
        case LUA_TBOOLEAN: return lua_toboolean(L, at) != 0 ? "true" : "false"
        case LUA_TNUMBER: return try number(L, at, floatFormat: floatFormat)
        case LUA_TSTRING: return quote(LuaStack.bytes(L, at) ?? [])
        case LUA_TLIGHTUSERDATA where lua_touserdata(L, at) == nil: return "null"
        case LUA_TTABLE:
            // lua_array_length: every key a number k >= 1 with floor(k) == k → array of max key.
            var maxKey = 0
            var items = 0
            var isArray = true
            lua_pushnil(L)
            while lua_next(L, at) != 0 {
                shim_lua_pop(L, 1)
                if lua_type(L, -1) == LUA_TNUMBER {
                    let k = shim_lua_tonumber(L, -1)
                    if k >= 1, k == k.rounded(.down), k < Double(Int32.max) {
                        maxKey = max(maxKey, Int(k)); items += 1; continue
                    }
                }
                isArray = false
                shim_lua_pop(L, 1)
                break
            }
            if isArray && maxKey > items * 2 && maxKey > 10 {
                throw Failure(reason: "Cannot serialise table: excessively sparse array")
            }
            if isArray && maxKey > 0 {
                var parts: [String] = []
                parts.reserveCapacity(maxKey)
                for i in 1...maxKey {
                    lua_rawgeti(L, at, lua_Integer(i))
                    defer { shim_lua_pop(L, 1) }
                    parts.append(try encode(L, -1, floatFormat: floatFormat, depth: depth + 1))
                }
                return "[" + parts.joined(separator: ",") + "]"
            }
            var parts: [String] = []
            lua_pushnil(L)
            while lua_next(L, at) != 0 {
                let keyType = lua_type(L, -2)
                let key: String
                if keyType == LUA_TNUMBER {
                    do { key = "\"" + (try number(L, -2, floatFormat: floatFormat)) + "\"" }
                    catch { shim_lua_pop(L, 2); throw error }
                } else if keyType == LUA_TSTRING {
                    key = quote(LuaStack.bytes(L, -2) ?? [])
                } else {
                    shim_lua_pop(L, 2)
                    throw Failure(reason: "Cannot serialise \(String(cString: lua_typename(L, keyType))): table key must be a number or string")
                }
                do { parts.append(key + ":" + (try encode(L, -1, floatFormat: floatFormat, depth: depth + 1))) }
                catch { shim_lua_pop(L, 2); throw error }
                shim_lua_pop(L, 1)
            }
            return "{" + parts.joined(separator: ",") + "}"
        default:
            throw Failure(reason: "Cannot serialise \(String(cString: lua_typename(L, lua_type(L, at)))): type not supported")
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
        if text.count >= 2 && (text[0] == 0 || text[1] == 0) {
            throw Failure(reason: "JSON parser does not support UTF-16 or UTF-32")
        }
        var parser = Parser(bytes: text, L: L)
        let top = lua_gettop(L)
        do {
            try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.at == text.count else { throw parser.expected("the end") }
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

        /// What cjson would call the token at the current position.
        func found() -> String {
            guard at < bytes.count else { return "T_END" }
            switch bytes[at] {
            case UInt8(ascii: "{"): return "T_OBJ_BEGIN"
            case UInt8(ascii: "}"): return "T_OBJ_END"
            case UInt8(ascii: "["): return "T_ARR_BEGIN"
            case UInt8(ascii: "]"): return "T_ARR_END"
            case UInt8(ascii: ","): return "T_COMMA"
            case UInt8(ascii: ":"): return "T_COLON"
            case UInt8(ascii: "\""): return "T_STRING"
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "T_NUMBER"
            default: return "invalid token"
            }
        }

        func expected(_ what: String) -> Failure {
            Failure(reason: "Expected \(what) but found \(found()) at character \(at + 1)")
        }

        mutating func value(depth: Int) throws {
            guard depth < 1000 else { throw Failure(reason: "Found too many nested data structures (\(depth + 1)) at character \(at)") }
            skipSpace()
            guard at < bytes.count else { throw expected("value") }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                lua_createtable(L, 0, 0)
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return }
                while true {
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw expected("object key string") }
                    LuaStack.push(L, try string())
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw expected("colon") }
                    at += 1
                    try value(depth: depth + 1)
                    lua_rawset(L, -3)
                    skipSpace()
                    if at < bytes.count, bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return }
                    throw expected("comma or object end")
                }
            case UInt8(ascii: "["):
                at += 1
                lua_createtable(L, 0, 0)
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return }
                var index: lua_Integer = 1
                while true {
                    try value(depth: depth + 1)
                    lua_rawseti(L, -2, index)
                    index += 1
                    skipSpace()
                    if at < bytes.count, bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return }
                    throw expected("comma or array end")
                }
            case UInt8(ascii: "\""): LuaStack.push(L, try string())
            case UInt8(ascii: "t") where literal("true"): at += 4; lua_pushboolean(L, 1)
            case UInt8(ascii: "f") where literal("false"): at += 5; lua_pushboolean(L, 0)
            case UInt8(ascii: "n") where literal("null"): at += 4; lua_pushlightuserdata(L, nil)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw expected("value")
            }
        }

        func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            return at + w.count <= bytes.count && Array(bytes[at..<at + w.count]) == w
        }

        /// json_next_number_token: strtod for the whole token; without a '.', strtol (int32,
        /// saturating) decides an integer when it is not 0, and parsing resumes where strtol stopped.
        mutating func number() throws {
            let start = at
            var p = at
            if bytes[p] == UInt8(ascii: "-") { p += 1 }
            // json_is_invalid_number: leading zeros and hex are refused.
            if p < bytes.count, bytes[p] == UInt8(ascii: "0"), p + 1 < bytes.count,
               bytes[p + 1] | 0x20 == UInt8(ascii: "x") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[p + 1]) {
                throw Failure(reason: "Expected value but found invalid number at character \(start + 1)")
            }
            var end = start
            while end < bytes.count, "+-0123456789.eE".utf8.contains(bytes[end]) { end += 1 }
            // strtod takes the longest valid prefix.
            var tokenEnd = end
            var float: Float?
            while tokenEnd > start {
                if let f = Float(String(decoding: bytes[start..<tokenEnd], as: UTF8.self)) { float = f; break }
                tokenEnd -= 1
            }
            guard let float else { throw Failure(reason: "Expected value but found invalid number at character \(start + 1)") }
            let token = bytes[start..<tokenEnd]
            if token.count == 1 && token.first == UInt8(ascii: "0") {
                at = tokenEnd; lua_pushinteger(L, 0); return
            }
            if !token.contains(UInt8(ascii: ".")) {
                var q = start
                var negative = false
                if bytes[q] == UInt8(ascii: "-") { negative = true; q += 1 }
                var magnitude: Int64 = 0
                let digitsStart = q
                while q < tokenEnd, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[q]) {
                    magnitude = min(magnitude * 10 + Int64(bytes[q] - UInt8(ascii: "0")), Int64(Int32.max) + 1)
                    q += 1
                }
                if q > digitsStart {
                    let value = negative ? max(-magnitude, Int64(Int32.min)) : min(magnitude, Int64(Int32.max))
                    if value != 0 {
                        at = q
                        lua_pushinteger(L, lua_Integer(value))
                        return
                    }
                }
            }
            at = tokenEnd
            lua_pushnumber(L, Double(float))
        }

        mutating func string() throws -> [UInt8] {
            let open = at
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
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "u"):
                    guard at + 4 <= bytes.count,
                          var code = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
                        throw Failure(reason: "Expected value but found invalid unicode escape code at character \(at - 1)")
                    }
                    at += 4
                    if code & 0xF800 == 0xD800 {
                        guard code & 0x400 == 0, at + 6 <= bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u"),
                              let low = UInt32(String(decoding: bytes[at + 2..<at + 6], as: UTF8.self), radix: 16),
                              low & 0xFC00 == 0xDC00 else {
                            throw Failure(reason: "Expected value but found invalid unicode escape code at character \(at - 5)")
                        }
                        at += 6
                        code = ((code & 0x3FF) << 10 | (low & 0x3FF)) + 0x10000
                    }
                    out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                default:
                    throw Failure(reason: "Expected value but found invalid escape code at character \(at - 1)")
                }
            }
            throw Failure(reason: "Expected value but found unexpected end of string at character \(open + 1)")
        }
    }
}
