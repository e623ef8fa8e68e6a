/// Parses Lua 5.3 binary chunks of any supported `LuaDumpLayout` into `LuaChunk` values.
public enum LuaChunkReader {
    /// Reads the layout a chunk declares in its header, checking the signature, version, format,
    /// the `LUAC_DATA` bytes and the `LUAC_INT`/`LUAC_NUM` check values.
    public static func layout(of bytes: [UInt8], file: String = "chunk") throws -> LuaDumpLayout {
        var r = ByteReader(bytes, file: file, what: "precompiled chunk")
        return try readHeader(&r)
    }

    /// Parses `bytes`; when `expected` is given, a chunk written in another layout is refused.
    public static func read(_ bytes: [UInt8], file: String = "chunk",
                            expecting expected: LuaDumpLayout? = nil) throws -> (LuaChunk, LuaDumpLayout) {
        var r = ByteReader(bytes, file: file, what: "precompiled chunk")
        let layout = try readHeader(&r)
        if let expected, expected != layout {
            throw r.failure("written for \(layout), expected \(expected)")
        }
        let upvalues = try r.u8("main upvalue count")
        let parser = Parser(layout: layout)
        let main = try parser.function(&r, depth: 0)
        guard r.isAtEnd else { throw r.failure("\(r.remaining) unexpected bytes after the main function") }
        return (LuaChunk(mainUpvalueCount: upvalues, main: main), layout)
    }

    private static func readHeader(_ r: inout ByteReader) throws -> LuaDumpLayout {
        guard try r.take(4, "signature") == LuaChunkFormat.signature else { throw r.failure("not a Lua binary chunk") }
        let version = try r.u8("version")
        guard version == LuaChunkFormat.version else {
            throw r.failure("Lua version byte 0x\(String(version, radix: 16)), expected 0x53 (Lua 5.3)")
        }
        guard try r.u8("format") == LuaChunkFormat.format else { throw r.failure("unknown chunk format") }
        guard try r.take(6, "LUAC_DATA") == LuaChunkFormat.data else { throw r.failure("corrupted header (LUAC_DATA)") }
        let widths = try r.take(5, "type sizes")
        guard widths[0] == 4, widths[2] == 4, [4, 8].contains(widths[1]), [4, 8].contains(widths[3]),
              [4, 8].contains(widths[4]) else {
            throw r.failure("unsupported type sizes \(widths.map { String($0) }.joined(separator: " "))")
        }
        let layout = LuaDumpLayout(sizeT: Int(widths[1]), integer: Int(widths[3]), number: Int(widths[4]))
        guard try r.signed(width: layout.integer, "LUAC_INT") == LuaChunkFormat.checkInteger else {
            throw r.failure("integer format mismatch (LUAC_INT)")
        }
        guard try layout.readNumber(from: &r, "LUAC_NUM") == LuaChunkFormat.checkNumber else {
            throw r.failure("float format mismatch (LUAC_NUM)")
        }
        return layout
    }

    private struct Parser {
        let layout: LuaDumpLayout
        /// Lua's own parser refuses deeper nesting long before this; it bounds hostile input.
        static let maxDepth = 250

        func int(_ r: inout ByteReader, _ field: String) throws -> Int32 {
            Int32(truncatingIfNeeded: try r.signed(width: 4, field))
        }

        /// A count, checked against the bytes left so a corrupted count cannot allocate wildly.
        func count(_ r: inout ByteReader, _ field: String, minBytesEach: Int) throws -> Int {
            let n = try int(&r, field)
            guard n >= 0, Int(n) * minBytesEach <= r.remaining else {
                throw r.failure("bad \(field) \(n) at offset \(r.offset - 4)")
            }
            return Int(n)
        }

        func string(_ r: inout ByteReader, _ field: String) throws -> [UInt8]? {
            var size = UInt64(try r.u8(field))
            if size == 0 { return nil }
            if size == 0xFF { size = try r.unsigned(width: layout.sizeT, "\(field) length") }
            // The stored size is the length + 1; the long form may still say 0, which from a
            // hostile file must be a refusal, not an unsigned underflow.
            guard size >= 1 else { throw r.failure("\(field) has a long length of 0 at offset \(r.offset)") }
            guard size - 1 <= UInt64(r.remaining) else {
                throw r.failure("truncated: \(field) of \(size - 1) bytes at offset \(r.offset), \(r.remaining) left")
            }
            return try r.take(Int(size - 1), field)
        }

        func function(_ r: inout ByteReader, depth: Int) throws -> LuaPrototype {
            guard depth <= Self.maxDepth else { throw r.failure("functions nested too deeply") }
            let source = try string(&r, "source")
            let lineDefined = try int(&r, "linedefined")
            let lastLineDefined = try int(&r, "lastlinedefined")
            let numParams = try r.u8("numparams"), isVararg = try r.u8("is_vararg"), maxStack = try r.u8("maxstacksize")
            let ncode = try count(&r, "instruction count", minBytesEach: 4)
            var code = [UInt32](); code.reserveCapacity(ncode)
            for _ in 0..<ncode { code.append(UInt32(try r.unsigned(width: 4, "instruction"))) }
            let nk = try count(&r, "constant count", minBytesEach: 1)
            var constants = [LuaConstant](); constants.reserveCapacity(nk)
            for _ in 0..<nk { constants.append(try constant(&r)) }
            let nup = try count(&r, "upvalue count", minBytesEach: 2)
            var upvalues = [LuaUpvalue]()
            for _ in 0..<nup { upvalues.append(LuaUpvalue(inStack: try r.u8("instack"), index: try r.u8("idx"))) }
            let np = try count(&r, "function count", minBytesEach: 1)
            var protos = [LuaPrototype]()
            for _ in 0..<np { protos.append(try function(&r, depth: depth + 1)) }
            let nline = try count(&r, "line info count", minBytesEach: 4)
            var lines = [Int32](); lines.reserveCapacity(nline)
            for _ in 0..<nline { lines.append(try int(&r, "line info")) }
            let nloc = try count(&r, "local count", minBytesEach: 9)
            var locals = [LuaLocalVariable]()
            for _ in 0..<nloc {
                locals.append(LuaLocalVariable(name: try string(&r, "local name"), startPC: try int(&r, "startpc"),
                                               endPC: try int(&r, "endpc")))
            }
            let nupn = try count(&r, "upvalue name count", minBytesEach: 1)
            var names = [[UInt8]?]()
            for _ in 0..<nupn { names.append(try string(&r, "upvalue name")) }
            return LuaPrototype(source: source, lineDefined: lineDefined, lastLineDefined: lastLineDefined,
                                numParams: numParams, isVararg: isVararg, maxStackSize: maxStack, code: code,
                                constants: constants, upvalues: upvalues, prototypes: protos, lineInfo: lines,
                                localVariables: locals, upvalueNames: names)
        }

        func constant(_ r: inout ByteReader) throws -> LuaConstant {
            let tag = try r.u8("constant tag")
            switch tag {
            case 0x00: return .nil
            case 0x01: return .boolean(try r.u8("boolean") != 0)
            case 0x03: return .float(try layout.readNumber(from: &r, "float constant"))
            case 0x13: return .integer(try r.signed(width: layout.integer, "integer constant"))
            case 0x04, 0x14: return .string(try string(&r, "string constant"), long: tag == 0x14)
            default: throw r.failure("unknown constant tag 0x\(String(tag, radix: 16)) at offset \(r.offset - 1)")
            }
        }
    }
}
