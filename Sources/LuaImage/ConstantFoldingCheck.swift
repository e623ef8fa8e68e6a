/// Finds constant expressions that the host's 64-bit compiler folds to a value the EC618's own
/// 32-bit Lua would not compute (spec §3.5, "semantic traps"), e.g. `(1 << 40) >> 20` (1048576
/// folded in 64 bits, 0 on the device) or `65536 * 65536 // 65536`.
///
/// It parses expressions the way `lparser.c` does (priorities, unary operators, parentheses) and
/// evaluates every foldable operator in both worlds (`LuaArithmetic`); where the host folds and
/// the results differ — an integer that differs or becomes a float, or a float far from the
/// device's — it refuses with the operator's line. Bare literals are left to `LuaChunkWriter`,
/// which refuses out-of-range constants with the same `file:line`. One documented exception:
/// `-2147483648` is int32's minimum, kept as that integer.
enum ConstantFoldingCheck {
    static func check(_ source: [UInt8], file: String) throws {
        var parser = Parser(tokens: LuaTokenizer.tokens(source), file: file)
        try parser.scan(untilEnd: false)
    }

    /// A constant in both worlds; nil where the host does not fold (a run-time value).
    struct Value {
        var host: FoldedNumber?
        var device: FoldedNumber?
        /// A decimal numeral written as is (for the `-2147483648` rule).
        var bareLiteral: String? = nil
        /// The operator of the fold that made this value; nil for a literal.
        var op: LuaToken? = nil
        static let runtime = Value(host: nil, device: nil)
    }

    static let host = LuaArithmetic(bits: 64)
    static let device = LuaArithmetic(bits: 32)

    /// Binary operator priorities (left, right) of `lparser.c`.
    static let priority: [String: (Int, Int)] = [
        "+": (10, 10), "-": (10, 10), "*": (11, 11), "%": (11, 11), "^": (14, 13), "/": (11, 11), "//": (11, 11),
        "&": (6, 6), "|": (4, 4), "~": (5, 5), "<<": (7, 7), ">>": (7, 7), "..": (9, 8),
        "==": (3, 3), "<": (3, 3), "<=": (3, 3), "~=": (3, 3), ">": (3, 3), ">=": (3, 3), "and": (2, 2), "or": (1, 1),
    ]
    static let unaryPriority = 12
    static let foldable: Set<String> = ["+", "-", "*", "%", "^", "/", "//", "&", "|", "~", "<<", ">>"]

    struct Parser {
        let tokens: [LuaToken]
        let file: String
        var p = 0

        var current: LuaToken { tokens[min(p, tokens.count - 1)] }
        func peek(_ k: Int = 1) -> LuaToken { tokens[min(p + k, tokens.count - 1)] }
        mutating func advance() { if p < tokens.count - 1 { p += 1 } }
        func isSymbol(_ s: String) -> Bool { current.kind == .symbol && current.text == s }
        func isKeyword(_ s: String) -> Bool { current.kind == .keyword && current.text == s }

        /// Walks statements, checking every expression; with `untilEnd`, stops after the `end`
        /// closing the current function body.
        mutating func scan(untilEnd: Bool) throws {
            var depth = 0
            while current.kind != .eof {
                let t = current
                if t.kind == .keyword {
                    switch t.text {
                    case "if", "do", "repeat": depth += 1; advance(); continue
                    case "function" where peek().text == "(":
                        _ = try expression(0); continue
                    case "function": depth += 1; advance(); continue
                    case "end", "until":
                        advance()
                        if depth == 0, untilEnd { return }
                        depth -= 1; continue
                    case "nil", "true", "false", "not": _ = try expression(0); continue
                    default: advance(); continue
                    }
                }
                if startsExpression(t) { _ = try expression(0) } else { advance() }
            }
        }

        func startsExpression(_ t: LuaToken) -> Bool {
            switch t.kind {
            case .number, .name, .string: return true
            case .symbol: return ["(", "{", "-", "~", "#", "..."].contains(t.text)
            default: return false
            }
        }

        /// An expression whose value is used as is (an argument, an index, a statement's value):
        /// a constant the host folded must be what the device would compute.
        mutating func expression(_ limit: Int) throws -> Value {
            let value = try subexpression(limit)
            try escape(value)
            return value
        }

        /// `subexpr` of lparser.c: unary operators, a simple expression, then binary operators
        /// binding tighter than `limit`. Folded values stay unchecked while they only feed more
        /// folding: `1 << 31 >> 31` is 1 in both worlds even though `1 << 31` is not.
        mutating func subexpression(_ limit: Int) throws -> Value {
            var value: Value
            let t = current
            if (t.kind == .symbol && ["-", "~", "#"].contains(t.text)) || (t.kind == .keyword && t.text == "not") {
                advance()
                let operand = try subexpression(Self.unaryPriorityValue)
                if t.text == "-" || t.text == "~" {
                    value = try fold(unary: t, operand)
                } else {
                    try escape(operand)
                    value = .runtime
                }
            } else {
                value = try simpleExpression()
            }
            while current.kind == .symbol || current.kind == .keyword,
                  let (left, right) = ConstantFoldingCheck.priority[current.text], left > limit {
                let op = current
                advance()
                let rhs = try subexpression(right)
                if ConstantFoldingCheck.foldable.contains(op.text) {
                    value = try fold(op, value, rhs)
                } else {
                    try escape(value)
                    try escape(rhs)
                    value = .runtime
                }
            }
            return value
        }

        static let unaryPriorityValue = ConstantFoldingCheck.unaryPriority

        mutating func simpleExpression() throws -> Value {
            let t = current
            switch t.kind {
            case .number:
                advance()
                let hex = t.text.lowercased().hasPrefix("0x")
                return Value(host: ConstantFoldingCheck.host.numeral(t.text),
                             device: ConstantFoldingCheck.device.numeral(t.text), bareLiteral: hex ? nil : t.text)
            case .string: advance(); return .runtime
            case .keyword where ["nil", "true", "false"].contains(t.text): advance(); return .runtime
            case .keyword where t.text == "function":
                advance()
                try skipBalanced("(", ")")
                try scan(untilEnd: true)
                return .runtime
            case .symbol where t.text == "...": advance(); return .runtime
            case .symbol where t.text == "{": try constructor(); return .runtime
            default: return try suffixedExpression()
            }
        }

        mutating func suffixedExpression() throws -> Value {
            var value: Value
            if isSymbol("(") {
                advance()
                value = try subexpression(0)  // `(1 << 40) >> 20` folds through the parentheses
                if isSymbol(")") { advance() }
            } else {
                advance()  // a name (or anything Lua accepted here)
                value = .runtime
            }
            while true {
                if isSymbol(".") || isSymbol(":") || isSymbol("[") || isSymbol("(") || isSymbol("{")
                    || current.kind == .string {
                    try escape(value)
                }
                if isSymbol(".") || isSymbol(":") {
                    advance(); advance(); value = .runtime
                } else if isSymbol("[") {
                    advance(); _ = try expression(0)
                    if isSymbol("]") { advance() }
                    value = .runtime
                } else if isSymbol("(") {
                    advance()
                    while !isSymbol(")"), current.kind != .eof {
                        if isSymbol(",") { advance() } else { _ = try expression(0) }
                    }
                    advance(); value = .runtime
                } else if isSymbol("{") {
                    try constructor(); value = .runtime
                } else if current.kind == .string {
                    advance(); value = .runtime
                } else {
                    return value
                }
            }
        }

        mutating func constructor() throws {
            advance()  // {
            while !isSymbol("}"), current.kind != .eof {
                if isSymbol(",") || isSymbol(";") { advance(); continue }
                if isSymbol("[") {
                    advance(); _ = try expression(0)
                    if isSymbol("]") { advance() }
                    if isSymbol("=") { advance() }
                    _ = try expression(0)
                } else if current.kind == .name, peek().text == "=", peek().kind == .symbol {
                    advance(); advance(); _ = try expression(0)
                } else {
                    let before = p
                    _ = try expression(0)
                    if p == before { advance() }
                }
            }
            advance()  // }
        }

        mutating func skipBalanced(_ open: String, _ close: String) throws {
            guard isSymbol(open) else { return }
            var depth = 0
            repeat {
                if isSymbol(open) { depth += 1 } else if isSymbol(close) { depth -= 1 }
                advance()
            } while depth > 0 && current.kind != .eof
        }

        mutating func fold(unary op: LuaToken, _ a: Value) throws -> Value {
            guard let h = a.host, let hostResult = ConstantFoldingCheck.host.unary(op.text, h) else {
                try escape(a)
                return .runtime
            }
            var deviceResult = a.device.flatMap { ConstantFoldingCheck.device.unary(op.text, $0) }
            if op.text == "-", a.bareLiteral == "2147483648" { deviceResult = .int(Int64(Int32.min)) }
            return Value(host: hostResult, device: deviceResult, op: op)
        }

        mutating func fold(_ op: LuaToken, _ a: Value, _ b: Value) throws -> Value {
            guard let ha = a.host, let hb = b.host, let hostResult = ConstantFoldingCheck.host.binary(op.text, ha, hb)
            else {
                try escape(a)
                try escape(b)
                return .runtime
            }
            var deviceResult: FoldedNumber? = nil
            if let da = a.device, let db = b.device { deviceResult = ConstantFoldingCheck.device.binary(op.text, da, db) }
            return Value(host: hostResult, device: deviceResult, op: op)
        }

        /// A folded constant leaves constant folding here: the host's value must be the device's
        /// (floats within rounding). Literals are left to `LuaChunkWriter`.
        func escape(_ v: Value) throws {
            guard let op = v.op, let host = v.host else { return }
            if let device = v.device, Self.agree(host, device) { return }
            let deviceText = v.device.map(Self.describe) ?? "no constant (a run-time error or another value)"
            throw LuaImageError(file: file, line: op.line, reason: "constant expression (operator '\(op.text)') folds to "
                + "\(Self.describe(host)) in the 64-bit compiler, but the EC618's 32-bit numbers give \(deviceText); "
                + "use values within int32 or compute it at run time")
        }

        static func agree(_ host: FoldedNumber, _ device: FoldedNumber) -> Bool {
            switch (host, device) {
            case let (.int(a), .int(b)): return a == b
            case let (.float(a), .float(b)):
                let narrowed = Double(Float(a))
                if narrowed == b { return true }
                guard narrowed.isFinite, b.isFinite else { return false }
                return abs(narrowed - b) <= 1e-5 * max(abs(narrowed), abs(b))
            default: return false
            }
        }

        static func describe(_ v: FoldedNumber) -> String {
            switch v {
            case .int(let i): return "the integer \(i)"
            case .float(let d): return "the float \(d)"
            }
        }
    }
}
