import Foundation
import LuaImage
import TestSupport
import Testing

@Suite("Compiling with the host's liblua5.3")
struct LuaCompilerTests {
    @Test func syntaxErrorIsReportedAsFileLineMessage() throws {
        let source = Array("local x = 1\nprint(x)\nlocal = 3\n".utf8)
        do {
            _ = try LuaCompiler.compile(source, chunkName: "main.lua", file: "main.lua")
            Issue.record("a syntax error must throw")
        } catch let e as LuaImageError {
            #expect(e.file == "main.lua")
            #expect(e.line == 3)
            #expect(e.description == "main.lua:3: <name> expected near '='")
        }
    }

    @Test func errorNamesTheUsersPathWhileTheChunkKeepsItsFlatName() throws {
        do {
            _ = try LuaCompiler.compile(Array("\n\nif x then\n".utf8), chunkName: "util.lua", file: "lib/util.lua")
            Issue.record("a syntax error must throw")
        } catch let e as LuaImageError {
            #expect(e.description == "lib/util.lua:4: 'end' expected (to close 'if' at line 3) near <eof>")
        }
    }

    @Test func binaryChunksAreNotAcceptedAsSource() throws {
        let dump = try LuaCompiler.compile(Array("print(1)".utf8), chunkName: "a.lua", file: "a.lua")
        #expect(throws: LuaImageError.self) { try LuaCompiler.compile(dump, chunkName: "a.lua", file: "a.lua") }
    }

    @Test func emptySourceCompiles() throws {
        let dump = try LuaCompiler.compile([], chunkName: "empty.lua", file: "empty.lua")
        #expect(try LuaChunkReader.layout(of: dump) == .host64)
    }

    /// `luac5.3` is an independent reference for the in-process dump, stripped and not.
    @Test(arguments: [true, false])
    func dumpMatchesLuac(strip: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luaimage-luac-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = RoundTripCorpus.scripts.map(\.source).joined(separator: "\ndo end\n")
        try Data(source.utf8).write(to: dir.appendingPathComponent("main.lua"))
        let luac = try ChildProcess.run("/usr/bin/luac5.3", (strip ? ["-s"] : []) + ["-o", "out.luac", "main.lua"],
                                        directory: dir.path)
        #expect(luac.status == 0, "\(luac.stderr)")
        let reference = [UInt8](try Data(contentsOf: dir.appendingPathComponent("out.luac")))
        let ours = try LuaCompiler.compile(Array(source.utf8), chunkName: "main.lua", file: "main.lua", strip: strip)
        #expect(ours == reference)
    }
}
