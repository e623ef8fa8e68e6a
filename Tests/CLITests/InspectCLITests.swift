import Firmware
import Foundation
import Testing

/// `provision sim make-soc` and `provision inspect` as users run them: output, JSON, exit codes.
@Suite struct InspectCLITests {
    /// A small synthetic package written by the CLI itself.
    private func makeSoc(_ extra: [String] = [], name: String = "LuatOS-SoC_V1112_EC618_FULL.soc") throws -> URL {
        let folder = try ProvisionBinary.temporaryFolder()
        let soc = folder.appendingPathComponent(name)
        let result = try ProvisionBinary.run(["sim", "make-soc", soc.path, "--size", "small"] + extra)
        try #require(result.status == 0, "make-soc failed: \(result.stderr)")
        return soc
    }

    @Test func inspectJSONDescribesThePlan() async throws {
        let soc = try makeSoc()
        defer { try? FileManager.default.removeItem(at: soc.deletingLastPathComponent()) }
        let result = try await ProvisionBinary.run(["inspect", soc.path, "--json"])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["chip"] as? String == "ec618")
        #expect((json["versions"] as? [String: Any])?["bsp"] as? String == "V1112")
        let images = try #require(json["images"] as? [[String: Any]])
        #expect(images.map { $0["kind"] as? String } == ["BL", "AP", "CP"])
        #expect(images.map { $0["address"] as? String } == ["0x004000", "0x024000", "0x000000"])
        #expect(images.allSatisfy { ($0["sha256"] as? String)?.count == 64 })
        let partitions = try #require(json["partitions"] as? [[String: Any]])
        let script = try #require(partitions.first { $0["name"] as? String == "script" })
        #expect(script["address"] as? String == "0x2CC000")
        #expect(script["size"] as? Int == 131072)
        let agentBoot = try #require(json["agentBoot"] as? [String: Any])
        #expect(agentBoot["found"] as? Bool == true)
        #expect(agentBoot["knownBuild"] is NSNull)
    }

    @Test func inspectTableNamesEveryImage() async throws {
        let soc = try makeSoc()
        defer { try? FileManager.default.removeItem(at: soc.deletingLastPathComponent()) }
        let result = try await ProvisionBinary.run(["inspect", soc.path])
        #expect(result.status == 0)
        for needle in ["ap_bootloader.bin", "luatos.bin", "cp-demo-flash.bin", "0x2CC000", "128 KiB", "agentboot"] {
            #expect(result.stdout.contains(needle), "missing \(needle)")
        }
    }

    @Test func missingAgentBootIsShownNotFatalForInspect() async throws {
        let soc = try makeSoc(["--no-agentboot"])
        defer { try? FileManager.default.removeItem(at: soc.deletingLastPathComponent()) }
        let result = try await ProvisionBinary.run(["inspect", soc.path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("agentboot not found"))
        #expect(result.stdout.contains("--agentboot FILE"))
    }

    /// Bad input: exit code 2, one line on stderr naming the file, nothing on stdout, no trace.
    private func expectInputError(_ arguments: [String], mentioning file: String, _ reason: String) throws {
        let result = try ProvisionBinary.run(arguments)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("provision: \(file)"))
        #expect(result.stderr.contains(reason))
        #expect(result.stdout.isEmpty)
    }

    @Test func inspectRefusesAFileThatIsNotAnArchive() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("main.lua.soc")
        try Data("print(1)\n".utf8).write(to: file)
        try expectInputError(["inspect", file.path], mentioning: file.path, "not a 7z or zip archive")
    }

    @Test func inspectRefusesATruncatedPackage() async throws {
        let soc = try makeSoc()
        defer { try? FileManager.default.removeItem(at: soc.deletingLastPathComponent()) }
        let bytes = try Data(contentsOf: soc)
        try bytes.prefix(bytes.count / 2).write(to: soc)
        try expectInputError(["inspect", soc.path], mentioning: soc.path, "truncated")
    }

    @Test func inspectRefusesAMissingFile() async throws {
        try expectInputError(["inspect", "/nonexistent/x.soc"], mentioning: "/nonexistent/x.soc", "no such file")
    }

    @Test func inspectRefusesAMissingAgentBootFile() async throws {
        let soc = try makeSoc()
        defer { try? FileManager.default.removeItem(at: soc.deletingLastPathComponent()) }
        try expectInputError(["inspect", soc.path, "--agentboot", "/nonexistent/ab.bin"],
                             mentioning: "/nonexistent/ab.bin", "cannot read")
    }

    @Test func makeSocIntoAMissingFolderFailsAndLeavesNothing() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("no/such/dir/x.soc")
        try expectInputError(["sim", "make-soc", target.path, "--size", "small"], mentioning: target.path,
                             "cannot write")
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    /// A KiB size that overflows when scaled used to crash `inspect` with a backtrace.
    @Test func inspectRefusesAnInfoJSONSizeThatOverflows() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let generator = SyntheticSoc()
        let info = generator.infoJSON().replacingOccurrences(of: "\"total_len\": 288",
                                                             with: "\"total_len\": \"9223372036854775807\"")
        let soc = folder.appendingPathComponent("overflow.soc")
        try Data(try ArchiveWriter.write(generator.members(infoJSON: info), format: .sevenZip)).write(to: soc)
        try expectInputError(["inspect", soc.path], mentioning: "\(soc.path):info.json", "fs.total_len")
    }

    @Test func makeSocZipAndPkgmodeVariantsInspect() async throws {
        let soc = try makeSoc(["--format", "zip", "--pkgmode"])
        defer { try? FileManager.default.removeItem(at: soc.deletingLastPathComponent()) }
        let result = try await ProvisionBinary.run(["inspect", soc.path, "--json"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"format\" : \"zip\""))
        #expect(result.stdout.contains("\"packageAddress\" : \"0x804000\""))
    }
}

@Suite struct InspectScriptImageCLITests {
    @Test func inspectListsTheFilesOfAnEmbeddedScriptImage() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let core = folder.appendingPathComponent("core.soc").path
        #expect(try await ProvisionBinary.run(["sim", "make-soc", core, "--size", "small"]).status == 0)
        let main = folder.appendingPathComponent("main.lua")
        try Data("log.info('hi')\n".utf8).write(to: main)
        let image = folder.appendingPathComponent("script.bin").path
        let built = try await ProvisionBinary.run(["build-script", main.path, "--soc", core, "-o", image])
        try #require(built.status == 0, "\(built.stderr)")
        let mp = folder.appendingPathComponent("mp.soc").path
        #expect(try await ProvisionBinary.run(["sim", "make-soc", mp, "--size", "small", "--script", image]).status == 0)
        let result = try await ProvisionBinary.run(["inspect", mp, "--json"])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let files = try #require(json["scriptFiles"] as? [[String: Any]])
        #expect(files.compactMap { $0["name"] as? String }.contains("main.luac"))
        let images = try #require(json["images"] as? [[String: Any]])
        #expect(images.last?["kind"] as? String == "SCRIPT")
        #expect(images.last?["address"] as? String == "0x2CC000")
    }
}
