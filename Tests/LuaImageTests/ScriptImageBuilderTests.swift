import Foundation
import LuaImage
import Testing

@Suite("Building script images from the user's files")
struct ScriptImageBuilderTests {
    static let mainSource = "local util = require 'util'\nprint('main', util.twice(21))\n"
    static let utilSource = "local M = {}\nfunction M.twice(x) return x * 2 end\nreturn M\n"

    /// A temporary project folder with `files` (relative path → contents), removed afterwards.
    static func project(_ files: [String: [UInt8]], _ body: (URL) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luaimage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (path, bytes) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        try body(dir)
    }

    static func input(_ name: String, _ text: String) -> ScriptInput {
        ScriptInput(path: name, name: name, bytes: Array(text.utf8))
    }

    @Test func foldersAreFlattenedCompiledAndMainComesFirst() throws {
        let files: [String: [UInt8]] = [
            "app/main.lua": Array(Self.mainSource.utf8),
            "app/lib/util.lua": Array(Self.utilSource.utf8),
            "app/res/logo.png": [0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF],
            "app/.git/config": Array("hidden".utf8),
            "extra.txt": Array("hello".utf8),
        ]
        try Self.project(files) { dir in
            let image = try ScriptImageBuilder.build(paths: [dir.path + "/extra.txt", dir.path + "/app"],
                                                     options: ScriptImageOptions())
            #expect(image.entries.map(\.name) == ["main.luac", "extra.txt", "util.luac", "logo.png"])
            #expect(image.entries.map(\.compiled) == [true, false, true, false])
            let stored = try LuaDBReader.read(image.bytes)
            #expect(stored.map(\.name) == image.entries.map(\.name))
            #expect(stored.map(\.bytes.count) == image.entries.map(\.size))
            #expect(stored[1].bytes == Array("hello".utf8) && stored[3].bytes == files["app/res/logo.png"])
            // The stored bytecode is EC618 layout, keeps debug info, and runs the same once widened.
            let main = stored[0].bytes
            #expect(Array(main.prefix(25)) == EC618HeaderTests.specHeader)
            let (chunk, _) = try LuaChunkReader.read(main, expecting: .ec618)
            #expect(chunk.main.source == Array("@main.lua".utf8) && !chunk.main.lineInfo.isEmpty)
            #expect(try EC618Bytecode.toHost(stored[2].bytes).count > stored[2].bytes.count)
            #expect(image.sha256.count == 64)
        }
    }

    @Test func compiledModulesRunTogetherFromTheImage() throws {
        let image = try ScriptImageBuilder.build(inputs: [Self.input("util.lua", Self.utilSource),
                                                          Self.input("main.lua", Self.mainSource)],
                                                 options: ScriptImageOptions())
        let files = try LuaDBReader.read(image.bytes)
        // Preload util from its stored bytecode, then run main: what the device's require does.
        let util = try EC618Bytecode.toHost(files.first { $0.name == "util.luac" }!.bytes)
        let main = try EC618Bytecode.toHost(files.first { $0.name == "main.luac" }!.bytes)
        let loader = "package.preload.util = load(\(luaByteString(util)), 'util', 'b')\n"
        let output = try LuaHost.output(of: Array(loader.utf8) + Array("load(\(luaByteString(main)), 'main', 'b')()".utf8))
        #expect(output == "main\t42")
    }

    func luaByteString(_ bytes: [UInt8]) -> String {
        "\"" + bytes.map { "\\\($0)" }.joined() + "\""
    }

    @Test func useDebugFalseStripsLikeLuacS() throws {
        let image = try ScriptImageBuilder.build(inputs: [Self.input("main.lua", Self.mainSource)],
                                                 options: ScriptImageOptions(useDebug: false))
        let stored = try LuaDBReader.read(image.bytes)[0].bytes
        let reference = try EC618Bytecode.transcode(
            try LuaCompiler.compile(Array(Self.mainSource.utf8), chunkName: "main.lua", file: "main.lua", strip: true))
        #expect(stored == reference)
    }

    @Test func useLuacFalseStoresSourcesButStillChecksSyntax() throws {
        let image = try ScriptImageBuilder.build(inputs: [Self.input("main.lua", Self.mainSource)],
                                                 options: ScriptImageOptions(useLuac: false))
        #expect(try LuaDBReader.read(image.bytes) == [LuaDBFile(name: "main.lua", bytes: Array(Self.mainSource.utf8))])
        #expect(image.bytes == (try LuaDBWriter.write([LuaDBFile(name: "main.lua", bytes: Array(Self.mainSource.utf8))])))
        #expect(throws: LuaImageError(file: "main.lua", line: 2, reason: "unexpected symbol near <eof>")) {
            try ScriptImageBuilder.build(inputs: [Self.input("main.lua", "print(1)\nx =")],
                                         options: ScriptImageOptions(useLuac: false))
        }
    }

    @Test func aSyntaxErrorNamesTheFileAndLine() throws {
        do {
            _ = try ScriptImageBuilder.build(
                inputs: [Self.input("main.lua", Self.mainSource),
                         ScriptInput(path: "lib/util.lua", name: "util.lua", bytes: Array("local t = {\n1,\n2\n".utf8))],
                options: ScriptImageOptions())
            Issue.record("must throw")
        } catch let e as LuaImageError {
            #expect(e.description.hasPrefix("lib/util.lua:4: '}' expected (to close '{' at line 1)"))
        }
    }

    @Test func namesLongerThan31BytesAreRefusedAfterTheLuacRename() throws {
        let name27 = String(repeating: "a", count: 27) + ".lua"  // 31 bytes, 32 once stored as .luac
        let ok = try ScriptImageBuilder.build(inputs: [Self.input("main.lua", "")] + [Self.input(name27, "")],
                                              options: ScriptImageOptions(useLuac: false))
        #expect(ok.entries[1].name == name27)
        do {
            _ = try ScriptImageBuilder.build(inputs: [Self.input("main.lua", ""), Self.input(name27, "")],
                                             options: ScriptImageOptions())
            Issue.record("must throw")
        } catch let e as LuaImageError {
            #expect(e.file == name27)
            #expect(e.reason.contains("32 bytes"))
        }
    }

    @Test func duplicateNamesAcrossFoldersAreRefused() throws {
        try Self.project(["a/main.lua": [], "a/x.lua": [], "b/x.lua": []]) { dir in
            do {
                _ = try ScriptImageBuilder.build(paths: [dir.path + "/a", dir.path + "/b"], options: ScriptImageOptions())
                Issue.record("must throw")
            } catch let e as LuaImageError {
                #expect(e.file == dir.path + "/b/x.lua")
                #expect(e.reason.contains("'x.luac', like \(dir.path)/a/x.lua"))
            }
        }
        // A source and a precompiled file that would meet under one name.
        #expect(throws: LuaImageError.self) {
            try ScriptImageBuilder.build(inputs: [Self.input("main.lua", ""), Self.input("main.luac", "")],
                                         options: ScriptImageOptions())
        }
    }

    @Test func fileCountLimitCountsTheIntegrityEntry() throws {
        let many = (1..<1023).map { Self.input("r\($0).txt", "") }
        let image = try ScriptImageBuilder.build(inputs: [Self.input("main.lua", "")] + many,
                                                 options: ScriptImageOptions())
        #expect(try LuaDBReader.read(image.bytes).count == 1023)
        #expect(throws: LuaImageError.self) {
            try ScriptImageBuilder.build(inputs: [Self.input("main.lua", "")] + many + [Self.input("one-more", "")],
                                         options: ScriptImageOptions())
        }
    }

    @Test func capacityErrorSaysHowManyBytesOver() throws {
        let inputs = [Self.input("main.lua", Self.mainSource), Self.input("util.lua", Self.utilSource)]
        let size = try ScriptImageBuilder.build(inputs: inputs, options: ScriptImageOptions()).bytes.count
        #expect(try ScriptImageBuilder.build(inputs: inputs, options: ScriptImageOptions(capacity: size)).bytes.count == size)
        do {
            _ = try ScriptImageBuilder.build(inputs: inputs, options: ScriptImageOptions(
                capacity: size - 37, capacitySource: "X.soc"))
            Issue.record("must throw")
        } catch let e as LuaImageError {
            #expect(e.description == "X.soc: script image is \(size) bytes, 37 bytes over the \(size - 37)-byte script partition")
        }
    }

    @Test func missingMainIsRefused() {
        #expect(throws: LuaImageError.self) {
            try ScriptImageBuilder.build(inputs: [Self.input("util.lua", Self.utilSource)], options: ScriptImageOptions())
        }
    }

    @Test func precompiledInputMustMatchTheTargetLayout() throws {
        let host = try LuaCompiler.compile(Array("return 1".utf8), chunkName: "lib.lua", file: "lib.lua")
        let hostInput = ScriptInput(path: "lib.luac", name: "lib.luac", bytes: host)
        #expect(throws: LuaImageError.self) {
            try ScriptImageBuilder.build(inputs: [Self.input("main.lua", ""), hostInput], options: ScriptImageOptions())
        }
        let ec = ScriptInput(path: "lib.luac", name: "lib.luac", bytes: try EC618Bytecode.transcode(host))
        let image = try ScriptImageBuilder.build(inputs: [Self.input("main.lua", ""), ec], options: ScriptImageOptions())
        #expect(try LuaDBReader.read(image.bytes)[1].bytes == ec.bytes)
    }

    @Test func missingPathIsRefused() {
        #expect(throws: LuaImageError(file: "/nonexistent/main.lua", reason: "no such file or folder")) {
            try ScriptImageBuilder.build(paths: ["/nonexistent/main.lua"], options: ScriptImageOptions())
        }
    }
}
