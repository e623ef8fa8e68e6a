import LuaImage
import Testing

@Suite("EC618 bytecode header and the spec's worked example")
struct EC618HeaderTests {
    /// luatos-formats.md §3.1, copied from the spec's quick-facts table.
    static let specHeader = hexBytes("1B 4C 75 61 53 00 19 93 0D 0A 1A 0A 04 04 04 04 04 78 56 00 00 00 40 B9 43")

    @Test func headerBytesMatchTheSpec() {
        #expect(EC618Bytecode.header == Self.specHeader)
        #expect(LuaDumpLayout.ec618.headerBytes == Self.specHeader)
    }

    @Test func hostDumpHeaderIsDetectedAsHost64() throws {
        let dump = try LuaCompiler.compile(Array("print(1)\n".utf8), chunkName: "main.lua", file: "main.lua")
        #expect(try LuaChunkReader.layout(of: dump) == .host64)
        #expect(Array(dump[12...16]) == [4, 8, 4, 8, 8])
    }

    @Test func everyTranscodedChunkStartsWithTheSpecHeader() throws {
        let dump = try LuaCompiler.compile(Array("local a = 1.5 return a\n".utf8), chunkName: "x.lua", file: "x.lua")
        let ec = try EC618Bytecode.transcode(dump, file: "x.lua")
        #expect(Array(ec.prefix(25)) == Self.specHeader)
    }

    /// §3.3: `print(1)\n`, stripped, EC618 layout, all 96 bytes.
    @Test func strippedPrintOneMatchesTheSpecByteForByte() throws {
        let expected = Self.specHeader + hexBytes("""
            01 00 00 00 00 00 00 00 00 00 00 01 02
            04 00 00 00 06 00 40 00 41 40 00 00 24 40 00 01 26 00 80 00
            02 00 00 00 04 06 70 72 69 6E 74 13 01 00 00 00
            01 00 00 00 01 00
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            """)
        #expect(expected.count == 96)
        let dump = try LuaCompiler.compile(Array("print(1)\n".utf8), chunkName: "main.lua", file: "main.lua", strip: true)
        #expect(try EC618Bytecode.transcode(dump, file: "main.lua") == expected)
        // Stripping while transcoding an unstripped dump gives the same bytes as lua_dump's own strip.
        let full = try LuaCompiler.compile(Array("print(1)\n".utf8), chunkName: "main.lua", file: "main.lua")
        #expect(try EC618Bytecode.transcode(full, file: "main.lua", strip: true) == expected)
    }

    /// §3.3: the unstripped form, 126 bytes: source `@main.lua`, 4 line entries, `_ENV`.
    @Test func unstrippedPrintOneMatchesTheSpecDescription() throws {
        let expected = Self.specHeader + hexBytes("""
            01 0A 40 6D 61 69 6E 2E 6C 75 61 00 00 00 00 00 00 00 00 00 01 02
            04 00 00 00 06 00 40 00 41 40 00 00 24 40 00 01 26 00 80 00
            02 00 00 00 04 06 70 72 69 6E 74 13 01 00 00 00
            01 00 00 00 01 00
            00 00 00 00
            04 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00
            00 00 00 00
            01 00 00 00 05 5F 45 4E 56
            """)
        #expect(expected.count == 126)
        let dump = try LuaCompiler.compile(Array("print(1)\n".utf8), chunkName: "main.lua", file: "main.lua")
        #expect(try EC618Bytecode.transcode(dump, file: "main.lua") == expected)
    }

    @Test func bitw64LayoutKeepsEightByteNumbersAndFourByteSizeT() throws {
        let dump = try LuaCompiler.compile(Array("return 3000000000, 0.1\n".utf8), chunkName: "m.lua", file: "m.lua")
        let out = try EC618Bytecode.transcode(dump, file: "m.lua", to: .luatos64)
        #expect(Array(out[12...16]) == [4, 4, 4, 8, 8])
        #expect(try EC618Bytecode.toHost(out) == dump)
    }

    @Test func aChunkInTheWrongLayoutIsRefused() throws {
        let dump = try LuaCompiler.compile(Array("print(1)\n".utf8), chunkName: "main.lua", file: "main.lua")
        #expect(throws: LuaImageError.self) { try LuaChunkReader.read(dump, file: "main.luac", expecting: .ec618) }
        var broken = try EC618Bytecode.transcode(dump)
        broken[17] = 0x79  // LUAC_INT
        #expect(throws: LuaImageError.self) { try EC618Bytecode.toHost(broken) }
        #expect(throws: LuaImageError.self) { try EC618Bytecode.toHost(Array(broken.prefix(40))) }
    }
}
