/// A Lua 5.3 lexer, just enough to find constant expressions in source (`ConstantFoldingCheck`):
/// numerals, names, keywords and operators with their lines; strings and comments are skipped
/// over and reported as opaque tokens. Input is source that Lua has already compiled.
struct LuaToken: Equatable {
    enum Kind: Equatable { case number, name, keyword, string, symbol, eof }
    let kind: Kind
    let text: String
    let line: Int
}

enum LuaTokenizer {
    static let keywords: Set<String> = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
        "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    ]

    /// Length of the operator starting with bytes `a b c`: `...`, the two-byte ones
    /// (`..` `==` `~=` `<=` `>=` `<<` `>>` `//` `::`), or one byte.
    static func symbolLength(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        switch (a, b) {
        case (46, 46): return c == 46 ? 3 : 2                       // ... ..
        case (61, 61), (126, 61), (60, 61), (62, 61): return 2      // == ~= <= >=
        case (60, 60), (62, 62), (47, 47), (58, 58): return 2       // << >> // ::
        default: return 1
        }
    }

    static func tokens(_ source: [UInt8]) -> [LuaToken] {
        var out: [LuaToken] = []
        var i = 0, line = 1
        let n = source.count
        func at(_ k: Int) -> UInt8 { k < n ? source[k] : 0 }
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 || c == 95 }
        func isHex(_ c: UInt8) -> Bool { isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 102) }
        func text(_ a: Int, _ b: Int) -> String { String(decoding: source[a..<b], as: UTF8.self) }
        /// Skips a newline sequence (\n, \r, \r\n, \n\r) at `i`, counting one line.
        func newline() {
            let c = source[i]
            i += 1
            if i < n, (source[i] == 10 || source[i] == 13), source[i] != c { i += 1 }
            line += 1
        }
        /// At `[`: the level of a long bracket `[==[`, or nil.
        func longBracketLevel(_ k: Int) -> Int? {
            var j = k + 1, level = 0
            while at(j) == 61 { level += 1; j += 1 }
            return at(j) == 91 ? level : nil
        }
        /// Skips a long bracket of `level` starting at `i` (on its `[`).
        func skipLong(_ level: Int) {
            i += level + 2
            while i < n {
                let c = source[i]
                if c == 10 || c == 13 { newline(); continue }
                if c == 93 {
                    var j = i + 1, l = 0
                    while at(j) == 61 { l += 1; j += 1 }
                    if l == level, at(j) == 93 { i = j + 1; return }
                }
                i += 1
            }
        }
        while i < n {
            let c = source[i], start = i, startLine = line
            if c == 10 || c == 13 { newline(); continue }
            if c == 32 || c == 9 || c == 11 || c == 12 { i += 1; continue }
            if c == 45, at(i + 1) == 45 {  // comment
                i += 2
                if at(i) == 91, let level = longBracketLevel(i) { skipLong(level); continue }
                while i < n, source[i] != 10, source[i] != 13 { i += 1 }
                continue
            }
            if c == 91, let level = longBracketLevel(i) {
                skipLong(level)
                out.append(LuaToken(kind: .string, text: "[[…]]", line: startLine)); continue
            }
            if c == 34 || c == 39 {  // quoted string
                i += 1
                while i < n, source[i] != c {
                    if source[i] == 92 {  // backslash: the next character is escaped
                        i += 1
                        if i < n, source[i] == 10 || source[i] == 13 { newline(); continue }
                    } else if source[i] == 10 || source[i] == 13 { break }
                    i += 1
                }
                i += 1
                out.append(LuaToken(kind: .string, text: "\"…\"", line: startLine)); continue
            }
            if isDigit(c) || (c == 46 && isDigit(at(i + 1))) {
                let hex = c == 48 && (at(i + 1) | 0x20) == 120
                if hex { i += 2 }
                let exponent: UInt8 = hex ? 112 : 101  // 'p' : 'e'
                while i < n {
                    let d = source[i]
                    if (d | 0x20) == exponent {
                        i += 1
                        if at(i) == 43 || at(i) == 45 { i += 1 }
                    } else if isHex(d) || d == 46 { i += 1 } else { break }
                }
                out.append(LuaToken(kind: .number, text: text(start, i), line: startLine)); continue
            }
            if isAlpha(c) {
                while i < n, isAlpha(source[i]) || isDigit(source[i]) { i += 1 }
                let word = text(start, i)
                out.append(LuaToken(kind: keywords.contains(word) ? .keyword : .name, text: word, line: startLine))
                continue
            }
            i += symbolLength(c, at(i + 1), at(i + 2))
            out.append(LuaToken(kind: .symbol, text: text(start, i), line: startLine))
        }
        out.append(LuaToken(kind: .eof, text: "<eof>", line: line))
        return out
    }
}
