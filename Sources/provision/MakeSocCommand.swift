import ArgumentParser
import Firmware
import Foundation

/// `provision sim make-soc OUT.soc`: a synthetic EC618 package with the real structure, so every
/// command can be tried without vendor files.
struct MakeSoc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-soc",
        abstract: "Write a synthetic EC618 .soc (7z, info.json, binpkg with BL/AP/CP, stand-in AgentBoot).",
        discussion: "The images are deterministic pseudo-random bytes and the AgentBoot is a stand-in: "
            + "the result flashes simulated boards only, never a real one.")

    enum Size: String, ExpressibleByArgument, CaseIterable { case realistic, small }
    enum Format: String, ExpressibleByArgument, CaseIterable { case sevenZip = "7z", zip }

    @Argument(help: "Where to write the .soc.")
    var output: String

    @Option(help: "Image sizes: realistic (about a 4 MiB .soc) or small (fast tests).")
    var size: Size = .realistic

    @Option(help: "Archive format.")
    var format: Format = .sevenZip

    @Flag(help: "Write the newer pkgmode binpkg (XIP addresses).")
    var pkgmode = false

    @Flag(help: "Leave the AgentBoot out (to try the missing-AgentBoot path).")
    var noAgentboot = false

    @Option(help: "A LuaDB script image to embed as script.bin.")
    var script: String?

    @Option(help: "Seed of the pseudo-random image bytes.")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Put the CP image at this CP-flash offset (hex with 0x, or decimal), to craft a "
                               + "package the calibration guard must refuse.", valueName: "offset"))
    var cpOffset: String?

    func run() async throws {
        do {
            var soc = SyntheticSoc()
            soc.sizes = size == .realistic ? .realistic : .small
            soc.format = format == .zip ? .zip : .sevenZip
            soc.pkgmode = pkgmode
            soc.includeAgentBoot = !noAgentboot
            if let seed { soc.seed = seed }
            if let cpOffset {
                let digits = cpOffset.lowercased().hasPrefix("0x") ? (String(cpOffset.dropFirst(2)), 16) : (cpOffset, 10)
                guard let value = UInt32(digits.0, radix: digits.1) else {
                    throw FirmwareError(file: output, reason: "--cp-offset \"\(cpOffset)\" is not a 32-bit offset")
                }
                soc.cpOffset = value
            }
            if let script {
                guard let data = FileManager.default.contents(atPath: script) else {
                    throw FirmwareError(file: script, reason: "cannot read the script image")
                }
                soc.scriptImage = [UInt8](data)
            }
            let bytes = try soc.make()
            try writeAtomically(bytes, to: output)
            print("wrote \(output) (\(bytes.count) bytes, synthetic EC618 V1112 _FULL layout)")
        } catch {
            throw fail(error)
        }
    }
}
