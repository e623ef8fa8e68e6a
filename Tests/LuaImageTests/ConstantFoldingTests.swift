import LuaImage
import Testing

/// Constant folding happens in the host's 64-bit arithmetic; the device's 32-bit Lua would
/// compute some expressions differently (spec §3.5). Those are refused with file:line.
@Suite("Constant expressions the 64-bit compiler folds")
struct ConstantFoldingTests {
    func build(_ source: String, layout: LuaDumpLayout = .ec618) throws -> ScriptImage {
        try ScriptImageBuilder.build(inputs: [ScriptInput(path: "main.lua", name: "main.lua", bytes: Array(source.utf8))],
                                     options: ScriptImageOptions(layout: layout))
    }

    func refusal(_ source: String) -> LuaImageError? {
        do { _ = try build(source); return nil } catch let e as LuaImageError { return e } catch { return nil }
    }

    @Test(arguments: [
        ("local a = (1 << 40) >> 20", 1, "integer 1048576", "integer 0"),
        ("local x = 1\nlocal b = 65536 * 65536 // 65536", 2, "integer 65536", "integer 0"),
        ("print((2^40 | 0) >> 20)", 1, "integer 1048576", "no constant"),
        ("local t = {\n  big = 1e39 * 1e-10,\n}", 2, "float 1e+29", "float inf"),
        ("f(0xffffffff + 1 - 1)", 1, "integer 4294967295", "integer -1"),
        ("return 2147483648 - 1", 1, "integer 2147483647", "float 2147483648.0"),
        ("return (2147483647 + 1) // 2", 1, "integer 1073741824", "integer -1073741824"),
        ("local n = -(-2147483647 - 1) // 2", 1, "integer 1073741824", "integer -1073741824"),
    ] as [(String, Int, String, String)])
    func divergingFoldsAreRefusedWithTheirLine(source: String, line: Int, host: String, device: String) throws {
        let e = try #require(refusal(source))
        #expect(e.file == "main.lua")
        #expect(e.line == line)
        #expect(e.reason.contains("folds to the \(host) in the 64-bit compiler"), "\(e)")
        #expect(e.reason.contains("32-bit numbers give \(device == "no constant" ? "no constant" : "the " + device)"), "\(e)")
    }

    @Test(arguments: [
        "local ms = 60 * 1000 * 60",
        "local y = 1 << 31 >> 31",          // intermediate differs, the folded result does not
        "local m = -2147483648",
        "local m = -2147483648 // 2",
        "local w = 2147483647 + 1 - 1",     // wraps and comes back in int32 too
        "local k = 0x7fffffff & 0xff00",
        "local f = 0.1 * 3 + 2^0.5",
        "local s = 'x' .. 1 << 4",          // `..` binds tighter: not folded
        "local q = 5 // 0",                  // left to run time
        "local z = 1e300 * 1e300",
        "print(('%d'):format(255 // 16), #'abc' * 2)",
        "local t = { [1 + 1] = 2 * 3, f = function(a) return a * (7 % 3) end, 3 - 1 }",
        "local h = 0x1p4 * 2 + .5 * 2 - 1e2 // 3 + 0xA.8p0",
        "local n = -(-2147483647) // 2",
        "for i = 1, 2^20 - 1, 1 << 4 do end",
        "local c = 86400 * 365 // 7 % 1000",
    ])
    func equalFoldsAndRunTimeExpressionsAreAccepted(source: String) throws {
        _ = try build(source)
    }

    @Test func theWholeRoundTripCorpusPasses() throws {
        for script in RoundTripCorpus.scripts { _ = try build(script.source) }
    }

    @Test func stringsAndCommentsAreNotMistakenForCode() throws {
        _ = try build("""
            local s = "1 << 40 >> 20" -- (1 << 40) >> 20
            --[==[ 65536 * 65536 // 65536 ]==]
            local l = [[
            (2^40 | 0) >> 20 ]]
            local e = 'it\\'s (1 << 40) >> 20'
            """)
    }

    @Test func foldsInsideNestedFunctionsAreFound() throws {
        let e = try #require(refusal("""
            local function outer()
              return function(x)
                if x then
                  return x + (0x100000000 >> 4)
                end
              end
            end
            """))
        #expect(e.line == 4)
    }

    @Test func the64BitLuatosLayoutHasNothingToRefuse() throws {
        _ = try build("local a = (1 << 40) >> 20", layout: .luatos64)
    }
}

@Suite("Compiling for the device in one step")
struct DeviceCompileTests {
    @Test func compileChecksFoldsAndTranscodes() throws {
        let ok = try EC618Bytecode.compile(Array("print(60 * 1000)".utf8), chunkName: "a.lua", file: "a.lua")
        #expect(Array(ok.prefix(25)) == EC618Bytecode.header)
        #expect(throws: LuaImageError.self) {
            try EC618Bytecode.compile(Array("print((1 << 40) >> 20)".utf8), chunkName: "a.lua", file: "a.lua")
        }
        let wide = try EC618Bytecode.compile(Array("print((1 << 40) >> 20)".utf8), chunkName: "a.lua", file: "a.lua",
                                             to: .luatos64)
        #expect(Array(wide[12...16]) == [4, 4, 4, 8, 8])
    }
}
