/// A check run on TOML text before it reaches TOMLKit. toml++ 3 (inside TOMLKit 0.6) asserts
/// that a table header's key starts with a key character: `[` followed by a newline or any other
/// byte at the start of a statement aborts the whole process (and, built with NDEBUG, the
/// assertion becomes an optimizer assumption, which is worse). Found by scripts/fuzz with the
/// two-byte profile "[\n". Profiles and station.toml are files an operator edits, so such a
/// line must be a one-line syntax error instead.
public enum TOMLPreflight {
    /// The 1-based line of a table header whose key cannot start, or nil when there is none.
    /// A light scan: strings, comments and brackets are followed just far enough to know where
    /// toml++ reads a statement (the start of a line outside any array, inline table or string).
    public static func unstartedTableHeaderLine(in text: String) -> Int? {
        let b = Array(text.utf8)
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // toml++ skips a UTF-8 BOM
        var line = 1, depth = 0, atLineStart = true
        func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        func isKeyStart(_ c: UInt8) -> Bool {
            (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'")
        }
        while i < b.count {
            let c = b[i]
            switch c {
            case 0x0A:
                line += 1; atLineStart = true; i += 1
                continue
            case 0x20, 0x09, 0x0D:
                i += 1
                continue
            case UInt8(ascii: "#"):
                while i < b.count, b[i] != 0x0A { i += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                i = skipString(b, at: i, line: &line)
                atLineStart = false
                continue
            case UInt8(ascii: "["):
                if depth == 0 && atLineStart {
                    // What toml++'s table-header parser does before it asserts on the key.
                    var j = i + 1
                    while j < b.count, isBlank(b[j]) { j += 1 }
                    if j < b.count, b[j] == UInt8(ascii: "["), j == i + 1 {
                        j += 1
                        while j < b.count, isBlank(b[j]) { j += 1 }
                    }
                    if j < b.count, b[j] != UInt8(ascii: "]"), b[j] != UInt8(ascii: "["), !isKeyStart(b[j]) {
                        return line
                    }
                }
                depth += 1
            case UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
            atLineStart = false
            i += 1
        }
        return nil
    }

    /// The message for such a header, in the words TOML parse errors use elsewhere.
    public static func reason(line: Int) -> String {
        "TOML syntax error at line \(line): a table header needs a key after '[' (a bare name or a quoted one)"
    }

    /// The index after the string that starts at `i` (basic or literal, one- or multi-line),
    /// counting the newlines it spans. An unterminated string ends the scan: toml++ stops there.
    private static func skipString(_ b: [UInt8], at start: Int, line: inout Int) -> Int {
        let quote = b[start]
        let triple = start + 2 < b.count && b[start + 1] == quote && b[start + 2] == quote
        var i = start + (triple ? 3 : 1)
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                if i + 1 < b.count, b[i + 1] == 0x0A { line += 1 }  // a line-ending backslash
                i += 2
                continue
            }
            if c == 0x0A {
                if !triple { return i }
                line += 1
            }
            if c == quote {
                if !triple { return i + 1 }
                if i + 2 < b.count, b[i + 1] == quote, b[i + 2] == quote {
                    i += 3
                    // Up to two more quotes belong to the content ("""a""""").
                    var extra = 0
                    while extra < 2, i < b.count, b[i] == quote { i += 1; extra += 1 }
                    return i
                }
            }
            i += 1
        }
        return b.count
    }
}
