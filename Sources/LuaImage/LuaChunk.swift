/// A Lua 5.3 binary chunk (the output of `lua_dump`) as values, independent of the C type
/// widths it was written with: parse it in one `LuaDumpLayout`, write it in another.
///
/// Integers are held as `Int64` and floats as `Double`; whether they fit a narrower layout is
/// decided when writing (`LuaChunkWriter`).
public struct LuaChunk: Equatable, Sendable {
    /// Number of upvalues of the main closure (the byte after the header).
    public var mainUpvalueCount: UInt8
    public var main: LuaPrototype

    public init(mainUpvalueCount: UInt8, main: LuaPrototype) {
        self.mainUpvalueCount = mainUpvalueCount
        self.main = main
    }

    /// This chunk without debug information, exactly as `lua_dump(L, w, d, 1)` would write it:
    /// no source name in any function, no line info, no local names, no upvalue names.
    public func stripped() -> LuaChunk {
        LuaChunk(mainUpvalueCount: mainUpvalueCount, main: main.stripped())
    }
}

/// One constant of a function prototype. Tags as in `lobject.h`.
public enum LuaConstant: Equatable, Sendable {
    case `nil`
    case boolean(Bool)
    /// `LUA_TNUMFLT` (tag 0x03).
    case float(Double)
    /// `LUA_TNUMINT` (tag 0x13).
    case integer(Int64)
    /// `LUA_TSHRSTR` (tag 0x04) or `LUA_TLNGSTR` (tag 0x14); the tag is kept so a rewrite is exact.
    case string([UInt8]?, long: Bool)
}

/// A local variable's debug record.
public struct LuaLocalVariable: Equatable, Sendable {
    public var name: [UInt8]?
    public var startPC: Int32
    public var endPC: Int32
}

/// An upvalue descriptor: in the enclosing function's stack (`instack`), at `index`.
public struct LuaUpvalue: Equatable, Sendable {
    public var inStack: UInt8
    public var index: UInt8
}

/// One function prototype of a chunk, with its nested prototypes.
public struct LuaPrototype: Equatable, Sendable {
    /// Chunk name (`@main.lua`); nil when stripped or equal to the parent's.
    public var source: [UInt8]?
    public var lineDefined: Int32
    public var lastLineDefined: Int32
    public var numParams: UInt8
    public var isVararg: UInt8
    public var maxStackSize: UInt8
    public var code: [UInt32]
    public var constants: [LuaConstant]
    public var upvalues: [LuaUpvalue]
    public var prototypes: [LuaPrototype]
    /// Debug: source line of each instruction (empty when stripped).
    public var lineInfo: [Int32]
    public var localVariables: [LuaLocalVariable]
    public var upvalueNames: [[UInt8]?]

    func stripped() -> LuaPrototype {
        var p = self
        p.source = nil
        p.lineInfo = []
        p.localVariables = []
        p.upvalueNames = []
        p.prototypes = prototypes.map { $0.stripped() }
        return p
    }

    /// The source line of the first instruction that uses constant `k`, if line info is present.
    func line(ofConstant k: Int) -> Int? {
        guard !lineInfo.isEmpty else { return nil }
        for pc in code.indices where LuaOpcode.references(code[pc], next: pc + 1 < code.count ? code[pc + 1] : nil,
                                                          constant: k) {
            return pc < lineInfo.count ? Int(lineInfo[pc]) : nil
        }
        return Int(lineDefined) == 0 ? nil : Int(lineDefined)
    }
}

/// Just enough of the Lua 5.3 instruction set (`lopcodes.h`) to find which instruction loads a
/// constant, so a refused constant can be reported with its source line.
enum LuaOpcode {
    static let loadK: UInt32 = 1, loadKX: UInt32 = 2
    /// Opcodes whose B and/or C operand is an RK (register or constant) operand.
    static let rkInB: Set<UInt32> = [8, 10, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 31, 32, 33]
    static let rkInC: Set<UInt32> = [6, 7, 8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 31, 32, 33]
    static let constantBit: UInt32 = 1 << 8

    static func references(_ i: UInt32, next: UInt32?, constant k: Int) -> Bool {
        let op = i & 0x3F
        let b = (i >> 23) & 0x1FF, c = (i >> 14) & 0x1FF, bx = i >> 14
        switch op {
        case loadK: return Int(bx) == k
        case loadKX: return next.map { Int($0 >> 6) == k } ?? false
        default:
            if rkInB.contains(op), b & constantBit != 0, Int(b & 0xFF) == k { return true }
            if rkInC.contains(op), c & constantBit != 0, Int(c & 0xFF) == k { return true }
            return false
        }
    }
}
