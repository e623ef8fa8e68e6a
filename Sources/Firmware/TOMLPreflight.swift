/// A check run on TOML text before it reaches TOMLKit. toml++ 3 (inside TOMLKit 0.6) asserts
/// what its callers were meant to have checked, and two callers do not: a table header's key
/// must start with a key character (`[` then a newline aborts the whole process), and an array
/// element must not start with `}` (`f=[}`). Built with NDEBUG the assertions become optimizer
/// assumptions, which is worse. Both found by scripts/fuzz. Profiles and station.toml are files
/// an operator edits, so such a line must be a one-line syntax error instead.
public enum TOMLPreflight {
    /// The refusal for the first line toml++ would abort on ("TOML syntax error at line N: …"),
    /// or nil when there is none. A light scan: strings, comments and brackets are followed just far enough to know where
    /// toml++ reads a statement (the start of a line outside any array, inline table or string).
    public static func refusal(in text: String) -> String? {
        guard let (line, reason) = firstAbortingLine(text) else { return nil }
        return "TOML syntax error at line \(line): \(reason)"
    }

    private static let headerReason = "a table header needs a key after '[' (a bare name or a quoted one)"
    private static let elementReason = "an array value cannot start with '}'"

    private static func firstAbortingLine(_ text: String) -> (Int, String)? {
        let b = Array(text.utf8)
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // toml++ skips a UTF-8 BOM
        var line = 1, atLineStart = true
        var open: [UInt8] = []  // the brackets and braces not yet closed, innermost last
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
                if open.isEmpty && atLineStart {
                    // What toml++'s table-header parser does before it asserts on the key:
                    // `[ [` is its own clean error, `[[` opens an array-of-tables header.
                    var j = i + 1
                    while j < b.count, isBlank(b[j]) { j += 1 }
                    let separated = j > i + 1
                    if j < b.count, b[j] == UInt8(ascii: "["), !separated {
                        j += 1
                        while j < b.count, isBlank(b[j]) { j += 1 }
                    }
                    if j < b.count, b[j] != UInt8(ascii: "]"), !(separated && b[j] == UInt8(ascii: "[")),
                       !isKeyStart(b[j]) {
                        return (line, headerReason)
                    }
                } else if let bad = braceStartsElement(b, after: i, line: line) {
                    return (bad, elementReason)
                }
                open.append(c)
            case UInt8(ascii: ","):
                if open.last == UInt8(ascii: "["), let bad = braceStartsElement(b, after: i, line: line) {
                    return (bad, elementReason)
                }
            case UInt8(ascii: "{"):
                open.append(c)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                _ = open.popLast()
            default:
                break
            }
            atLineStart = false
            i += 1
        }
        return nil
    }

    /// toml++'s array parser skips blanks, line breaks and comments after `[` or `,`, then
    /// asserts the next byte can start a value; `}` cannot. Its line, when that is what follows.
    private static func braceStartsElement(_ b: [UInt8], after i: Int, line: Int) -> Int? {
        var j = i + 1, line = line
        while j < b.count {
            switch b[j] {
            case 0x20, 0x09, 0x0D: j += 1
            case 0x0A: line += 1; j += 1
            case UInt8(ascii: "#"): while j < b.count, b[j] != 0x0A { j += 1 }
            case UInt8(ascii: "}"): return line
            default: return nil
            }
        }
        return nil
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
