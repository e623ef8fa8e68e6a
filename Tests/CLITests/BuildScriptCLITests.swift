import Firmware
import Foundation
import LuaImage
import Testing

/// `provision build-script` as users run it: the image written, what is printed, exit codes.
@Suite struct BuildScriptCLITests {
    /// A project folder with a synthetic `.soc` (written by the CLI itself) and `files`.
    private func project(_ files: [String: String]) throws -> URL {
        let folder = try ProvisionBinary.temporaryFolder()
        let made = try ProvisionBinary.run(["sim", "make-soc", "fw.soc", "--size", "small"], in: folder)
        try #require(made.status == 0, "make-soc failed: \(made.stderr)")
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return folder
    }

    private let app = [
        "main.lua": "local util = require 'util'\nlog.info('main', util.twice(21))\n",
        "lib/util.lua": "local M = {}\nfunction M.twice(x) return x * 2 end\nreturn M\n",
        "lib/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ]

    private func contents(_ url: URL) -> [UInt8]? {
        FileManager.default.contents(atPath: url.path).map { [UInt8]($0) }
    }

    @Test func buildsAnImageThatReadsBackAndReportsIt() async throws {
        let dir = try project(app)
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await ProvisionBinary.run(["build-script", "main.lua", "lib", "--soc", "fw.soc", "-o", "script.bin"],
                                             in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let image = try #require(contents(dir.appendingPathComponent("script.bin")))
        let files = try LuaDBReader.read(image)
        #expect(files.map(\.name) == ["main.luac", "ca.pem", "util.luac"])
        #expect(files[1].bytes == Array(app["lib/ca.pem"]!.utf8))
        #expect(Array(files[0].bytes.prefix(25)) == EC618Bytecode.header)
        for f in files { #expect(result.stdout.contains("\(f.name)"), "missing \(f.name)") }
        #expect(result.stdout.contains("\(image.count) bytes"))
        #expect(result.stdout.contains(SHA256Hex.of(image)))
        #expect(result.stdout.contains("0x2CC000: \(image.count) of 131072 bytes used"))
    }

    @Test func jsonDescribesTheImage() async throws {
        let dir = try project(app)
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await ProvisionBinary.run(["build-script", "main.lua", "lib", "--soc", "fw.soc", "-o", "out/s.bin",
                                              "--json"], in: dir)
        // The output folder does not exist: refused as bad input, nothing written.
        #expect(result.status == 2)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
        let ok = try await ProvisionBinary.run(["build-script", "main.lua", "lib", "--soc", "fw.soc", "-o", "out/s.bin",
                                          "--json"], in: dir)
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        let image = try #require(contents(dir.appendingPathComponent("out/s.bin")))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any])
        #expect(json["size"] as? Int == image.count)
        #expect(json["sha256"] as? String == SHA256Hex.of(image))
        let partition = try #require(json["partition"] as? [String: Any])
        #expect(partition["capacity"] as? Int == 131072)
        #expect(partition["free"] as? Int == 131072 - image.count)
        let files = try #require(json["files"] as? [[String: Any]])
        let stored = try LuaDBReader.read(image)
        #expect(files.map { $0["name"] as? String } == stored.map(\.name))
        #expect(files.map { $0["size"] as? Int } == stored.map(\.bytes.count))
        #expect(files.map { $0["source"] as? String } == ["main.lua", "lib/ca.pem", "lib/util.lua"])
    }

    /// Bad input: exit 2, one line `provision: <file>…` on stderr, nothing on stdout, and the
    /// previous output left as it was.
    private func expectRefusal(_ files: [String: String], _ arguments: [String], _ message: String) throws {
        let dir = try project(files)
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = Array("previous image".utf8)
        try Data(old).write(to: dir.appendingPathComponent("script.bin"))
        let result = try ProvisionBinary.run(["build-script"] + arguments + ["--soc", "fw.soc", "-o", "script.bin"],
                                             in: dir)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("provision: \(message)"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(contents(dir.appendingPathComponent("script.bin")) == old)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("script.bin") }
        #expect(leftovers == ["script.bin"], "no temporary files left: \(leftovers)")
    }

    @Test func syntaxErrorIsFileLineMessage() async throws {
        try expectRefusal(["main.lua": "print(1)\nprint(2\nprint(3)\n"], ["main.lua"],
                          "main.lua:3: ')' expected (to close '(' at line 2) near 'print'")
    }

    @Test func integerConstantBeyondInt32IsRefusedWithLine() async throws {
        try expectRefusal(["main.lua": "local ok = 1\nlocal big = 3000000000\n"], ["main.lua"],
                          "main.lua:2: integer constant 3000000000 does not fit")
    }

    @Test func constantFoldedDifferentlyIn32BitsIsRefusedWithLine() async throws {
        try expectRefusal(["main.lua": "local ok = 1\n\nlocal mask = (1 << 40) >> 20\n"], ["main.lua"],
                          "main.lua:3: constant expression (operator '>>') folds to the integer 1048576")
    }

    @Test func imageLargerThanThePartitionSaysHowManyBytesOver() async throws {
        let blob = String(repeating: "0123456789abcdef", count: 131072 / 16)  // 128 KiB alone
        let dir = try project(["main.lua": "print(1)\n", "blob.txt": blob])
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await ProvisionBinary.run(["build-script", "main.lua", "blob.txt", "--soc", "fw.soc", "-o", "s.bin"],
                                             in: dir)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("provision: fw.soc: script image is "))
        let over = try #require(result.stderr.split(separator: ",").last?.split(separator: " ").first.flatMap { Int($0) })
        // The image is the blob + main.luac + LuaDB overhead; "over" must be exactly that excess.
        let mainOnly = try await ProvisionBinary.run(["build-script", "main.lua", "--soc", "fw.soc", "-o", "m.bin"], in: dir)
        #expect(mainOnly.status == 0)
        let small = try #require(contents(dir.appendingPathComponent("m.bin")))
        let entryOverhead = 6 + 2 + "blob.txt".utf8.count + 6 + 4
        #expect(over == small.count + entryOverhead + blob.utf8.count - 131072)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("s.bin").path))
    }

    @Test func duplicateFlatNamesAreRefused() async throws {
        try expectRefusal(["main.lua": "print(1)\n", "a/x.lua": "", "b/x.lua": ""], ["main.lua", "a", "b"],
                          "b/x.lua: would be stored as 'x.luac', like a/x.lua")
    }

    @Test func missingSocIsRefused() async throws {
        let dir = try project(["main.lua": "print(1)\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await ProvisionBinary.run(["build-script", "main.lua", "--soc", "nope.soc", "-o", "s.bin"], in: dir)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("provision: nope.soc"))
    }

    @Test func rebuildingIntoAnInputFolderDoesNotSwallowTheOldImage() async throws {
        let dir = try project(["app/main.lua": "print(1)\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try await ProvisionBinary.run(["build-script", "app", "--soc", "fw.soc", "-o", "app/script.bin"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let once = try #require(contents(dir.appendingPathComponent("app/script.bin")))
        let second = try await ProvisionBinary.run(["build-script", "app", "--soc", "fw.soc", "-o", "app/script.bin"], in: dir)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(contents(dir.appendingPathComponent("app/script.bin")) == once)
        #expect(try LuaDBReader.read(once).map(\.name) == ["main.luac"])
    }

    /// A symbolic link inside an input folder is refused, naming it: skipping it silently left a
    /// library out of the image; following it could reach outside the folder.
    @Test func aSymbolicLinkInAnInputFolderIsRefusedNamingIt() async throws {
        let dir = try project(app)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("lib/extra.lua").path,
                                                   withDestinationPath: "util.lua")
        let result = try await ProvisionBinary.run(["build-script", "main.lua", "lib", "--soc", "fw.soc", "-o", "script.bin"],
                                             in: dir)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr == "provision: lib/extra.lua: is a symbolic link; name the file it points to instead\n")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("script.bin").path))
    }

    @Test func aFileNameThatIsNotUTF8IsRefusedNamingIt() async throws {
        let dir = try project(app)
        defer { try? FileManager.default.removeItem(at: dir) }
        // "lib/caf\xE9.lua": Latin-1, not UTF-8. Made with open(2): Foundation cannot name it.
        let name: [UInt8] = Array(dir.appendingPathComponent("lib/caf").path.utf8) + [0xE9] + Array(".lua".utf8) + [0]
        let fd = name.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                open($0, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            }
        }
        try #require(fd >= 0)
        close(fd)
        let result = try await ProvisionBinary.run(["build-script", "main.lua", "lib", "--soc", "fw.soc", "-o", "script.bin"],
                                             in: dir)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("provision: lib/caf"))
        #expect(result.stderr.hasSuffix(".lua: file name is not UTF-8; rename it\n"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("script.bin").path))
    }

    /// `-o` naming a FIFO (or a device node) is refused: the atomic rename would replace the node
    /// itself with a regular file.
    @Test func anOutputThatIsNotARegularFileIsRefusedAndKept() async throws {
        let dir = try project(app)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("out.fifo").path
        try #require(mkfifo(fifo, 0o644) == 0)
        let result = try await ProvisionBinary.run(["build-script", "main.lua", "lib", "--soc", "fw.soc", "-o", "out.fifo"],
                                             in: dir)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr == "provision: out.fifo: exists and is not a regular file; not replacing it\n")
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the FIFO is still a FIFO")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "no temporary file left behind: \(leftovers)")
    }

    /// The image goes through a temporary file in the output's folder and a rename: an existing
    /// image is replaced whole, with no temporary file left behind.
    @Test func anExistingImageIsReplacedThroughARename() async throws {
        let dir = try project(app)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("script.bin")
        try Data("old".utf8).write(to: out)
        let before = try FileManager.default.attributesOfItem(atPath: out.path)[.systemFileNumber] as? Int
        let result = try await ProvisionBinary.run(["build-script", "main.lua", "lib", "--soc", "fw.soc", "-o", "script.bin"],
                                             in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let image = try #require(contents(out))
        #expect(try LuaDBReader.read(image).map(\.name) == ["main.luac", "ca.pem", "util.luac"])
        let after = try FileManager.default.attributesOfItem(atPath: out.path)[.systemFileNumber] as? Int
        #expect(before != after, "a new file renamed into place, not the old one rewritten")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
