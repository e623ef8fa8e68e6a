import LuaImage
import Testing

/// source → host 64-bit dump → EC618 32-bit → back to 64-bit → run by the host's liblua5.3.
@Suite("Round trip through the EC618 layout")
struct RoundTripTests {
    static let cases = RoundTripCorpus.scripts.flatMap { s in [(s.name, s.source, false), (s.name, s.source, true)] }

    @Test(arguments: cases)
    func roundTripRunsWithTheSameOutput(name: String, source: String, strip: Bool) throws {
        let src = Array(source.utf8)
        let expected = try LuaHost.output(of: src, name: name)
        #expect(expected.split(separator: "\n").count >= 3, "the script must print something to compare")

        let dump = try LuaCompiler.compile(src, chunkName: name, file: name, strip: strip)
        let ec618 = try EC618Bytecode.transcode(dump, file: name)
        #expect(Array(ec618.prefix(25)) == EC618HeaderTests.specHeader)
        #expect(ec618.count < dump.count, "32-bit fields must be narrower")
        let back = try EC618Bytecode.toHost(ec618, file: name)
        #expect(back == dump, "every value fits, so the 64-bit dump must come back byte for byte")
        #expect(try LuaHost.output(of: back, name: name) == expected)
        // Idempotent on its own output.
        #expect(try EC618Bytecode.transcode(back, file: name) == ec618)
    }

    @Test func strippedAndUnstrippedBuildsDiffer() throws {
        let src = Array(RoundTripCorpus.scripts[1].source.utf8)
        let full = try EC618Bytecode.transcode(try LuaCompiler.compile(src, chunkName: "c.lua", file: "c.lua"))
        let bare = try EC618Bytecode.transcode(try LuaCompiler.compile(src, chunkName: "c.lua", file: "c.lua", strip: true))
        #expect(bare.count < full.count)
        let (chunk, _) = try LuaChunkReader.read(full, expecting: .ec618)
        #expect(chunk.main.source == Array("@c.lua".utf8))
        #expect(!chunk.main.lineInfo.isEmpty)
        let (stripped, _) = try LuaChunkReader.read(bare, expecting: .ec618)
        #expect(stripped.main.source == nil && stripped.main.lineInfo.isEmpty && stripped.main.upvalueNames.isEmpty)
    }
}
