import Foundation

/// Lua 5.3 arithmetic on compile-time constants, in two worlds at once: the host compiler's
/// (`lua_Integer` int64, `lua_Number` double) and the EC618's (int32, binary32). Mirrors
/// `luaO_arith` and `validop` of `lcode.c`, so `ConstantFoldingCheck` can see where the host
/// folds a constant the device would compute differently.
enum FoldedNumber: Equatable {
    case int(Int64)
    case float(Double)
}

/// Integer width for the arithmetic below: 64 (host) or 32 (EC618).
struct LuaArithmetic {
    let bits: Int

    var minInt: Int64 { bits == 64 ? Int64.min : Int64(Int32.min) }
    var maxInt: Int64 { bits == 64 ? Int64.max : Int64(Int32.max) }

    /// Wraps to the integer width (two's complement), as C integer arithmetic on lua_Integer does.
    func wrap(_ v: Int64) -> Int64 { bits == 64 ? v : Int64(Int32(truncatingIfNeeded: v)) }

    /// Rounds to the float width.
    func round(_ d: Double) -> Double { bits == 64 ? d : Double(Float(d)) }

    /// A numeral as the lexer converts it (`luaO_str2num`): decimal integers that overflow become
    /// floats, hexadecimal integers wrap around.
    func numeral(_ text: String) -> FoldedNumber? {
        let lower = text.lowercased()
        let hex = lower.hasPrefix("0x")
        let isFloat = hex ? (lower.contains(".") || lower.contains("p")) : (lower.contains(".") || lower.contains("e"))
        if !isFloat {
            if hex {
                var v: UInt64 = 0
                for ch in lower.dropFirst(2) { v = v &* 16 &+ UInt64(ch.hexDigitValue ?? 0) }
                return .int(wrap(Int64(bitPattern: v)))
            }
            var v: Int64 = 0
            var overflow = false
            for ch in lower {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(ch.wholeNumberValue ?? 0))
                if o1 || o2 || s > maxInt { overflow = true; break }
                v = s
            }
            if !overflow { return .int(v) }
        }
        guard let d = Double(text) else { return nil }
        return .float(bits == 64 ? d : Double(Float(text) ?? Float(d)))
    }

    private func asDouble(_ v: FoldedNumber) -> Double {
        switch v { case .int(let i): return round(Double(i)); case .float(let d): return d }
    }

    /// `luaV_tointeger` mode 0: integers, or floats with an exact integral value in range.
    private func toInteger(_ v: FoldedNumber) -> Int64? {
        switch v {
        case .int(let i): return i
        case .float(let d):
            guard d == d.rounded(.down), d >= Double(minInt), d < -Double(minInt) else { return nil }
            return Int64(d)
        }
    }

    private func shiftLeft(_ x: Int64, _ y: Int64) -> Int64 {
        let ux = UInt64(bitPattern: x) & (bits == 64 ? UInt64.max : 0xFFFF_FFFF)
        if y < 0 {
            return y <= -Int64(bits) ? 0 : wrap(Int64(bitPattern: ux >> UInt64(-y)))
        }
        return y >= Int64(bits) ? 0 : wrap(Int64(bitPattern: ux << UInt64(y)))
    }

    /// `a op b` folded, or nil when Lua leaves it to run time (`validop` false, or a float
    /// result that is NaN or zero).
    func binary(_ op: String, _ a: FoldedNumber, _ b: FoldedNumber) -> FoldedNumber? {
        switch op {
        case "&", "|", "~", "<<", ">>":
            guard let x = toInteger(a), let y = toInteger(b) else { return nil }
            switch op {
            case "&": return .int(x & y)
            case "|": return .int(x | y)
            case "~": return .int(x ^ y)
            case "<<": return .int(shiftLeft(x, y))
            default: return .int(shiftLeft(x, wrap(0 &- y)))
            }
        case "/", "//", "%":
            let zero: Bool
            switch b { case .int(let i): zero = i == 0; case .float(let d): zero = d == 0 }
            if zero { return nil }
        default: break
        }
        if case .int(let x) = a, case .int(let y) = b, op != "/", op != "^" {
            switch op {
            case "+": return .int(wrap(x &+ y))
            case "-": return .int(wrap(x &- y))
            case "*": return .int(wrap(x &* y))
            case "//":
                if y == -1 { return .int(wrap(0 &- x)) }
                var q = x / y
                if (x % y != 0) && ((x < 0) != (y < 0)) { q -= 1 }
                return .int(q)
            case "%":
                if y == -1 { return .int(0) }
                var m = x % y
                if m != 0 && ((m ^ y) < 0) { m += y }
                return .int(m)
            default: return nil
            }
        }
        let x = asDouble(a), y = asDouble(b)
        let r: Double
        switch op {
        case "+": r = x + y
        case "-": r = x - y
        case "*": r = x * y
        case "/": r = x / y
        case "^": r = bits == 64 ? pow(x, y) : Double(powf(Float(x), Float(y)))
        case "//": r = round(x / y).rounded(.down)
        case "%":
            var m = fmod(x, y)
            if m * y < 0 { m += y }
            r = m
        default: return nil
        }
        let rounded = round(r)
        return rounded.isNaN || rounded == 0 ? nil : .float(rounded)
    }

    /// `-a` or `~a` folded, or nil.
    func unary(_ op: String, _ a: FoldedNumber) -> FoldedNumber? {
        if op == "~" {
            guard let x = toInteger(a) else { return nil }
            return .int(wrap(~x))
        }
        switch a {
        case .int(let i): return .int(wrap(0 &- i))
        case .float(let d): return d == 0 ? nil : .float(-d)
        }
    }
}
