import Firmware
import Foundation
import Testing

/// `provision flash` and `provision sim board` as users run them: a simulated board behind a
/// pty in one process, the flasher in another, dumps compared with the plan.
@Suite struct FlashCLITests {
    /// A running `provision sim board`; `path` is the pty it printed first.
    final class SimBoardProcess {
        let process = Process()
        let path: String
        private let stderr = Pipe()

        init(_ arguments: [String], in folder: URL) throws {
            process.executableURL = ProvisionBinary.url
            process.arguments = ["sim", "board"] + arguments
            process.currentDirectoryURL = folder
            let out = Pipe()
            process.standardOutput = out
            process.standardError = stderr
            try process.run()
            var line = Data()
            while !line.contains(0x0A) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            path = String(decoding: line.prefix { $0 != 0x0A }, as: UTF8.self)
        }

        /// Waits for the simulator to end its session; returns its stderr.
        func finish() -> String {
            let err = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: err, as: UTF8.self)
        }
    }

    private func folderWithSoc() throws -> URL {
        let folder = try ProvisionBinary.temporaryFolder()
        let made = try ProvisionBinary.run(["sim", "make-soc", "fw.soc", "--size", "small"], in: folder)
        try #require(made.status == 0, "make-soc failed: \(made.stderr)")
        return folder
    }

    private func bytes(_ url: URL) throws -> [UInt8] {
        try #require(FileManager.default.contents(atPath: url.path).map { [UInt8]($0) }, "missing \(url.path)")
    }

    @Test func dryRunPrintsThePlanAndTouchesNothing() async throws {
        let folder = try folderWithSoc()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "--dry-run", "--port", "/dev/does-not-exist"],
                                             in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let package = try SocPackage.open(path: folder.appendingPathComponent("fw.soc").path)
        for image in package.plan.images {
            #expect(result.stdout.contains(image.sha256), "\(image.name) hash missing")
            #expect(result.stdout.contains("\(image.size) bytes"))
        }
        #expect(result.stdout.contains("ap_flash raw 0x024000"))
        #expect(result.stdout.contains("[AGBT burn 0x000000]"))
        #expect(result.stdout.contains("on the wire about"))
    }

    @Test func inputErrorsExitWithTwo() async throws {
        let folder = try folderWithSoc()
        defer { try? FileManager.default.removeItem(at: folder) }
        let noPort = try await ProvisionBinary.run(["flash", "--soc", "fw.soc"], in: folder)
        #expect(noPort.status == 2)
        #expect(noPort.stderr.contains("--port is required"))
        let noSoc = try await ProvisionBinary.run(["flash", "--soc", "missing.soc", "--dry-run"], in: folder)
        #expect(noSoc.status == 2)
        #expect(noSoc.stderr.contains("missing.soc"))
        let badFaults = try await ProvisionBinary.run(["sim", "board", "--faults", "nak-block=zero"], in: folder)
        #expect(badFaults.status == 2)
        #expect(badFaults.stderr.contains("nak-block=zero"))
        // --start-from takes what --dump writes: both files, each the chip's size.
        let noDump = try await ProvisionBinary.run(["sim", "board", "--start-from", folder.path], in: folder)
        #expect(noDump.status == 2 && noDump.stderr.contains("ap_flash.bin"), "\(noDump.stderr)")
        try Data(count: 100).write(to: folder.appendingPathComponent("ap_flash.bin"))
        try Data(count: 100).write(to: folder.appendingPathComponent("cp_flash.bin"))
        let short = try await ProvisionBinary.run(["sim", "board", "--start-from", folder.path], in: folder)
        #expect(short.status == 2 && short.stderr.contains("ap_flash.bin: 100 bytes"), "\(short.stderr)")
        let noScripts = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "--script-only", "--dry-run"], in: folder)
        #expect(noScripts.status == 2)
    }

    @Test func closedPortIsAnEnvironmentError() async throws {
        let folder = try folderWithSoc()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "--port", folder.appendingPathComponent("nope").path],
                                             in: folder)
        #expect(result.status == 3)
    }

    @Test func flashesASimulatedBoardAndTheDumpsHoldThePlan() async throws {
        let folder = try folderWithSoc()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sim = try SimBoardProcess(["--dump", folder.path], in: folder)
        #expect(sim.path.hasPrefix("/dev/pts/"))
        let result = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "--port", sim.path], in: folder)
        let simLog = sim.finish()
        #expect(result.status == 0, "flash: \(result.stderr); sim: \(simLog)")
        #expect(result.stdout.contains("reset: ZzZzZzZz"))
        let ap = try bytes(folder.appendingPathComponent("ap_flash.bin"))
        let cp = try bytes(folder.appendingPathComponent("cp_flash.bin"))
        #expect(ap.count == 4 * 1024 * 1024 && cp.count == 1024 * 1024)
        let package = try SocPackage.open(path: folder.appendingPathComponent("fw.soc").path)
        for image in package.plan.images {
            let chip = image.storage == .apFlash ? ap : cp
            let at = Int(image.flashOffset)
            #expect(Array(chip[at..<(at + image.size)]) == image.bytes, "\(image.name)")
        }
        #expect(ap[0..<0x4000].allSatisfy { $0 == 0xFF })
    }

    @Test func scriptOnlyFlashWritesTheBuiltImageAtTheScriptAddress() async throws {
        let folder = try folderWithSoc()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("log.info('hello', 1 + 2)\n".utf8).write(to: folder.appendingPathComponent("main.lua"))
        let built = try await ProvisionBinary.run(["build-script", "main.lua", "--soc", "fw.soc", "-o", "script.bin"], in: folder)
        try #require(built.status == 0, "\(built.stderr)")
        let sim = try SimBoardProcess(["--dump", folder.path], in: folder)
        let result = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "main.lua", "--script-only", "--port", sim.path],
                                             in: folder)
        let simLog = sim.finish()
        #expect(result.status == 0, "flash: \(result.stderr); sim: \(simLog)")
        let script = try bytes(folder.appendingPathComponent("script.bin"))
        let ap = try bytes(folder.appendingPathComponent("ap_flash.bin"))
        let at = Int(SyntheticSoc.scriptAddress)
        #expect(Array(ap[at..<(at + script.count)]) == script)
        // Script only: the core area was not written.
        #expect(ap[0x24000..<0x34000].allSatisfy { $0 == 0xFF })
    }

    @Test func aBoardThatKeepsRefusingExitsWithOneAndSaysWhere() async throws {
        let folder = try folderWithSoc()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sim = try SimBoardProcess(["--faults", "nak-block=4x1000"], in: folder)
        let result = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "--port", sim.path, "--quiet",
                                              "--response-timeout-ms", "200", "--retries", "1"], in: folder)
        sim.process.terminate()
        _ = sim.finish()
        #expect(result.status == 1)
        #expect(result.stderr.contains("flash failed in burn AP at byte 0"), "\(result.stderr)")
        #expect(result.stderr.contains("NAK"))
    }

    @Test func verifyReadsEveryImageBackFromACleanBoard() async throws {
        let folder = try folderWithSoc()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sim = try SimBoardProcess([], in: folder)
        let result = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "--port", sim.path, "--verify"], in: folder)
        let simLog = sim.finish()
        #expect(result.status == 0, "flash: \(result.stderr); sim: \(simLog)")
        let package = try SocPackage.open(path: folder.appendingPathComponent("fw.soc").path)
        for image in package.plan.images {
            #expect(result.stdout.contains("\(image.kind.rawValue): read back, \(image.size) bytes match"), "\(result.stdout)")
        }
    }

    @Test func verifyFailsAFlashWhoseBitWasLostAfterTheWrite() async throws {
        let folder = try folderWithSoc()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sim = try SimBoardProcess(["--faults", "flip-bit=20"], in: folder)
        let result = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "--port", sim.path, "--verify", "--quiet"],
                                             in: folder)
        sim.process.terminate()
        _ = sim.finish()
        #expect(result.status == 1)
        #expect(result.stderr.contains("flash failed in verify BL at byte 20"), "\(result.stderr)")
        #expect(result.stderr.contains("read-back of BL differs at byte 20"), "\(result.stderr)")
    }

    /// A package whose own script.bin is not a LuaDB: `flash --dry-run` plans it with the same
    /// warning `inspect` gives, instead of a plan that looks fine.
    @Test func dryRunWarnsAboutAGarbageScriptImageAsInspectDoes() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let garbage = folder.appendingPathComponent("garbage.bin")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }).write(to: garbage)
        let made = try await ProvisionBinary.run(["sim", "make-soc", "fw.soc", "--size", "small", "--script", garbage.path],
                                           in: folder)
        try #require(made.status == 0, "make-soc failed: \(made.stderr)")
        let inspect = try await ProvisionBinary.run(["inspect", "fw.soc"], in: folder)
        let warning = try #require(inspect.stdout.split(separator: "\n").first {
            $0.hasPrefix("warning: the package's script image is not a readable LuaDB")
        }, "inspect: \(inspect.stdout)")
        let plan = try await ProvisionBinary.run(["flash", "--soc", "fw.soc", "--dry-run"], in: folder)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.split(separator: "\n").contains(warning), "\(plan.stdout)")
    }
}
