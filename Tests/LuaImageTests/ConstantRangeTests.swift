import LuaImage
import Testing

/// What happens to constants the EC618's int32 / binary32 cannot hold (see LuaChunkWriter).
@Suite("Constants outside the EC618's number range")
struct ConstantRangeTests {
    func transcode(_ source: String, file: String = "main.lua") throws -> [UInt8] {
        let dump = try LuaCompiler.compile(Array(source.utf8), chunkName: file, file: file)
        return try EC618Bytecode.transcode(dump, file: file)
    }

    func refusal(_ source: String) -> LuaImageError? {
        do { _ = try transcode(source); return nil } catch let e as LuaImageError { return e } catch { return nil }
    }

    @Test func integerLiteralBeyondInt32IsRefusedWithFileAndLine() throws {
        let e = try #require(refusal("local a = 1\nlocal b = 2\nlocal big = 3000000000\nprint(big)\n"))
        #expect(e.file == "main.lua")
        #expect(e.line == 3)
        #expect(e.description.hasPrefix("main.lua:3: integer constant 3000000000 does not fit"))
    }

    @Test(arguments: [
        ("x = 2147483648", 2147483648 as Int64),
        ("x = -2147483649", -2147483649),
        ("x = 1 << 31", 2147483648),          // folded in 64 bits; 32-bit Lua would give -2147483648
        ("x = 0x7fffffff + 1", 2147483648),
        ("x = 0xffffffff", 4294967295),       // 32-bit Lua wraps hex literals to -1
        ("local t = {}\nt[1] = 9007199254740993", 9007199254740993),
    ])
    func foldedOrLiteralOutOfRangeIntegersAreRefused(source: String, value: Int64) throws {
        let e = try #require(refusal(source))
        #expect(e.line == source.split(separator: "\n").count)
        #expect(e.reason.contains("integer constant \(value) "))
    }

    @Test func integersAtTheInt32EdgesAreKept() throws {
        let ec = try transcode("return 2147483647, -2147483648, -1\n")
        let (chunk, _) = try LuaChunkReader.read(ec, expecting: .ec618)
        for v: Int64 in [2147483647, -2147483648, -1] {
            #expect(chunk.main.constants.contains(.integer(v)))
        }
    }

    @Test func floatsAreRoundedToBinary32() throws {
        let ec = try transcode("return 0.1, 1.5, 3.4028235e38\n")
        let (chunk, _) = try LuaChunkReader.read(ec, expecting: .ec618)
        #expect(chunk.main.constants.contains(.float(Double(Float(0.1)))))
        #expect(!chunk.main.constants.contains(.float(0.1)))
        #expect(chunk.main.constants.contains(.float(1.5)))
        // Just above FLT_MAX but rounds to it (not to infinity): kept.
        #expect(chunk.main.constants.contains(.float(Double(Float.greatestFiniteMagnitude))))
        // What the device computes with: 0.1 as binary32, visible once widened back on the host.
        let printed = try EC618Bytecode.toHost(try transcode("print(0.1, 0.1 == 0.1)\n"))
        #expect(try LuaHost.output(of: printed) == "0.10000000149012\ttrue")
    }

    @Test(arguments: ["x = 1e39", "x = -1e39", "x = 1e-50", "y = 1\nx = 2.5e-46"])
    func floatsBinary32CannotHoldAreRefused(source: String) throws {
        let e = try #require(refusal(source))
        #expect(e.line == source.split(separator: "\n").count)
        #expect(e.reason.contains("has no 32-bit float value"))
    }

    @Test func infinityFromFoldingIsKept() throws {
        let ec = try transcode("return 1e300 * 1e300\n")
        let (chunk, _) = try LuaChunkReader.read(ec, expecting: .ec618)
        #expect(chunk.main.constants.contains(.float(.infinity)))
    }

    @Test func refusalInANestedFunctionNamesItsLine() throws {
        let e = try #require(refusal("local function f()\n  return function()\n    return 4294967296\n  end\nend\n"))
        #expect(e.line == 3)
    }

    @Test func the64BitLuatosLayoutKeepsWideConstants() throws {
        let dump = try LuaCompiler.compile(Array("return 3000000000, 1e39\n".utf8), chunkName: "m.lua", file: "m.lua")
        let out = try EC618Bytecode.transcode(dump, file: "m.lua", to: .luatos64)
        let (chunk, _) = try LuaChunkReader.read(out, expecting: .luatos64)
        #expect(chunk.main.constants.contains(.integer(3000000000)))
        #expect(chunk.main.constants.contains(.float(1e39)))
    }
}
