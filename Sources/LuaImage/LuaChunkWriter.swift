/// Writes `LuaChunk` values in a given `LuaDumpLayout`, every field at its real width —
/// including the `size_t` length of long strings (≥ 254 bytes).
///
/// Narrowing rules (64-bit values into a 32-bit layout), chosen so the device computes what the
/// source says or the build is refused:
/// - an integer constant outside int32 is refused (`file:line`). A 32-bit compiler would turn
///   such a literal into a float, and a folded 64-bit result (`1 << 31`) has no 32-bit meaning;
/// - a float constant is rounded to the nearest binary32, as a 32-bit compiler's `strtof` does;
///   a finite, non-zero value that would become infinite or zero is refused (`file:line`).
///
/// The host compiler folds constant expressions in 64-bit arithmetic, and a folded result cannot
/// be told from a literal (spec §3.5). Results outside int32 (`1 << 31`, `0xffffffff`) are
/// refused like literals. Known gaps, where the device's own 32-bit compiler would differ:
/// `-2147483648` is kept as the integer it denotes (a 32-bit compiler makes the float
/// `-2.147483648e9` of it); an expression whose *intermediate* value leaves int32 but whose
/// result fits (`(1 << 40) >> 20`, `65536 * 65536 // 65536`) keeps the 64-bit result; folded
/// float expressions are rounded once, not at each step.
public struct LuaChunkWriter: Sendable {
    public let layout: LuaDumpLayout
    /// The input file named in errors.
    public let file: String

    public init(layout: LuaDumpLayout, file: String) {
        self.layout = layout
        self.file = file
    }

    public func write(_ chunk: LuaChunk) throws -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        w.append(layout.headerBytes)
        w.u8(chunk.mainUpvalueCount)
        try function(chunk.main, into: &w)
        return w.bytes
    }

    private func string(_ s: [UInt8]?, into w: inout ByteWriter) throws {
        guard let s else { w.u8(0); return }
        let size = UInt64(s.count) + 1
        if size < 0xFF {
            w.u8(UInt8(size))
        } else {
            guard layout.sizeT == 8 || size <= UInt64(UInt32.max) else {
                throw LuaImageError(file: file, reason: "a string of \(s.count) bytes is too long for a 32-bit size_t")
            }
            w.u8(0xFF)
            w.unsigned(size, width: layout.sizeT)
        }
        w.append(s)
    }

    private func int(_ v: Int32, into w: inout ByteWriter) { w.signed(Int64(v), width: 4) }

    private func function(_ f: LuaPrototype, into w: inout ByteWriter) throws {
        try string(f.source, into: &w)
        int(f.lineDefined, into: &w)
        int(f.lastLineDefined, into: &w)
        w.u8(f.numParams); w.u8(f.isVararg); w.u8(f.maxStackSize)
        int(Int32(f.code.count), into: &w)
        for i in f.code { w.unsigned(UInt64(i), width: 4) }
        int(Int32(f.constants.count), into: &w)
        for (k, c) in f.constants.enumerated() { try constant(c, index: k, of: f, into: &w) }
        int(Int32(f.upvalues.count), into: &w)
        for u in f.upvalues { w.u8(u.inStack); w.u8(u.index) }
        int(Int32(f.prototypes.count), into: &w)
        for p in f.prototypes { try function(p, into: &w) }
        int(Int32(f.lineInfo.count), into: &w)
        for l in f.lineInfo { int(l, into: &w) }
        int(Int32(f.localVariables.count), into: &w)
        for v in f.localVariables {
            try string(v.name, into: &w)
            int(v.startPC, into: &w); int(v.endPC, into: &w)
        }
        int(Int32(f.upvalueNames.count), into: &w)
        for n in f.upvalueNames { try string(n, into: &w) }
    }

    private func constant(_ c: LuaConstant, index k: Int, of f: LuaPrototype, into w: inout ByteWriter) throws {
        switch c {
        case .nil:
            w.u8(0x00)
        case .boolean(let b):
            w.u8(0x01); w.u8(b ? 1 : 0)
        case .float(let d):
            if layout.number == 4 {
                let narrowed = Float(d)
                if d.isFinite, d != 0, narrowed.isInfinite || narrowed == 0 {
                    throw LuaImageError(file: file, line: f.line(ofConstant: k), reason:
                        "float constant \(d) has no 32-bit float value (magnitudes 1.4e-45...3.4e38); the EC618 would read it as \(Float(d))")
                }
            }
            w.u8(0x03)
            layout.writeNumber(d, into: &w)
        case .integer(let i):
            if layout.integer == 4, Int32(exactly: i) == nil {
                throw LuaImageError(file: file, line: f.line(ofConstant: k), reason:
                    "integer constant \(i) does not fit the EC618's 32-bit integers (-2147483648...2147483647);"
                    + " write it as a float (e.g. \(Double(i))) if that is meant")
            }
            w.u8(0x13)
            w.signed(i, width: layout.integer)
        case .string(let s, let long):
            w.u8(long ? 0x14 : 0x04)
            try string(s, into: &w)
        }
    }
}
