import Firmware
import Foundation
import Testing

/// Every way a package can be bad is refused with one error naming the file and the reason.
@Suite struct BadInputTests {
    private func refusal(_ bytes: [UInt8], path: String = "bad.soc") throws -> FirmwareError {
        try #require(throws: FirmwareError.self) { try SocPackage(bytes: bytes, path: path) }
    }

    @Test func notAnArchive() throws {
        let e = try refusal(Array("print('hello')\n".utf8))
        #expect(e.file == "bad.soc")
        #expect(e.reason.contains("not a 7z or zip archive"))
    }

    @Test func emptyFile() throws {
        #expect(try refusal([]).reason.contains("empty file"))
    }

    @Test(arguments: [0.3, 0.6, 0.97])
    func truncatedArchive(keep: Double) throws {
        let cut = Array(Fixtures.small.prefix(Int(Double(Fixtures.small.count) * keep)))
        let e = try refusal(cut)
        #expect(e.file == "bad.soc")
        #expect(e.reason.contains("truncated") || e.reason.contains("damaged"))
    }

    @Test func truncatedZip() throws {
        let zip = try Fixtures.soc { $0.format = .zip }
        let e = try refusal(Array(zip.prefix(zip.count / 2)))
        #expect(e.reason.contains("truncated") || e.reason.contains("damaged"))
    }

    @Test func archiveWithoutInfoJSON() throws {
        let e = try refusal(try Fixtures.archive(Fixtures.members(replacing: "info.json", with: nil)))
        #expect(e.reason.contains("no info.json"))
    }

    @Test func infoJSONThatIsNotJSON() throws {
        let bytes = try Fixtures.archive(Fixtures.members(replacing: "info.json", with: Array("{ chip: ec618 ".utf8)))
        let e = try refusal(bytes)
        #expect(e.file == "bad.soc:info.json")
        #expect(e.reason.hasPrefix("not valid JSON"))
    }

    @Test func infoJSONForAnotherChip() throws {
        let text = SyntheticSoc().infoJSON().replacingOccurrences(of: "\"ec618\"", with: "\"ec7xx\"")
        let e = try refusal(try Fixtures.archive(Fixtures.members(replacing: "info.json", with: Array(text.utf8))))
        #expect(e.file == "bad.soc:info.json")
        #expect(e.reason.contains("\"ec7xx\""))
    }

    @Test func infoJSONWithABadAddress() throws {
        let text = SyntheticSoc().infoJSON().replacingOccurrences(of: "\"2CC000\"", with: "\"2CG000\"")
        let e = try refusal(try Fixtures.archive(Fixtures.members(replacing: "info.json", with: Array(text.utf8))))
        #expect(e.reason.contains("download.script_addr"))
    }

    @Test func infoJSONWithoutScriptSize() throws {
        let text = SyntheticSoc().infoJSON().replacingOccurrences(of: "\"size\": 128,", with: "")
        let e = try refusal(try Fixtures.archive(Fixtures.members(replacing: "info.json", with: Array(text.utf8))))
        #expect(e.reason == "missing field rom.fs.script.size")
    }

    /// Sizes in `info.json` are KiB, scaled by 1024: a numeric string near Int.max used to
    /// overflow that multiplication and crash every command that opens the package.
    @Test(arguments: [
        ("\"size\": 128,", "\"size\": \"9223372036854775807\",", "rom.fs.script.size"),
        ("\"size\": 128,", "\"size\": \"9007199254740992\",", "rom.fs.script.size"),
        ("\"size\": 128,", "\"size\": 4097,", "rom.fs.script.size"),
        ("\"size\": 128,", "\"size\": -1,", "rom.fs.script.size"),
        ("\"total_len\": 288", "\"total_len\": \"9223372036854775807\"", "fs.total_len"),
        ("\"total_len\": 288", "\"total_len\": 4097", "fs.total_len"),
        ("\"total_len\": 288", "\"total_len\": \"-9223372036854775808\"", "fs.total_len"),
    ])
    func infoJSONSizeOutOfRangeIsRefusedNamingTheField(change: (String, String, String)) throws {
        let (from, to, field) = change
        let original = SyntheticSoc().infoJSON()
        #expect(original.contains(from))
        let text = original.replacingOccurrences(of: from, with: to)
        let e = try refusal(try Fixtures.archive(Fixtures.members(replacing: "info.json", with: Array(text.utf8))))
        #expect(e.file == "bad.soc:info.json")
        #expect(e.reason.hasPrefix("\(field) is "), "\(e.reason)")
        #expect(e.reason.contains("out of range"))
    }

    @Test func infoJSONSizesUpToTheWholeFlashAreAccepted() throws {
        let text = SyntheticSoc().infoJSON().replacingOccurrences(of: "\"total_len\": 288", with: "\"total_len\": \"4096\"")
        let info = try InfoJSON(bytes: Array(text.utf8), file: "info.json")
        #expect(info.fileSystemSize == EC618FlashMap.apFlashSize)
    }

    private func binpkgRefusal(_ binpkg: [UInt8]) throws -> FirmwareError {
        try refusal(try Fixtures.archive(Fixtures.members(replacing: "luatos.binpkg", with: binpkg)))
    }

    @Test func binpkgShorterThanItsHeader() throws {
        let e = try binpkgRefusal([UInt8](repeating: 0, count: 20))
        #expect(e.file == "bad.soc:luatos.binpkg")
        #expect(e.reason.contains("shorter than the 52-byte header"))
    }

    @Test func binpkgTruncatedInADescriptor() throws {
        let full = BinpkgWriter.write(SyntheticSoc().coreImages())
        let e = try binpkgRefusal(Array(full.prefix(52 + 100)))
        #expect(e.reason.contains("entry descriptor at offset 52"))
    }

    @Test func binpkgTruncatedInAnImage() throws {
        let full = BinpkgWriter.write(SyntheticSoc().coreImages())
        let e = try binpkgRefusal(Array(full.dropLast(10)))
        #expect(e.reason.contains("truncated"))
        #expect(e.reason.contains("cp-demo-flash.bin"))
        #expect(e.reason.contains("only"))
    }

    @Test func binpkgWithAHashMismatch() throws {
        var images = SyntheticSoc().coreImages()
        images[1].declaredSHA256 = String(repeating: "ab", count: 32)
        let e = try binpkgRefusal(BinpkgWriter.write(images))
        #expect(e.reason.contains("hash mismatch"))
        #expect(e.reason.contains("luatos.bin"))
    }

    @Test func binpkgWithAnImageChangedAfterPacking() throws {
        var bytes = BinpkgWriter.write(SyntheticSoc().coreImages())
        bytes[bytes.count - 5] ^= 0x01
        #expect(try binpkgRefusal(bytes).reason.contains("hash mismatch"))
    }

    @Test func binpkgWithOverlappingImages() throws {
        var images = SyntheticSoc().coreImages()
        images[1].address = 0x4000 + 0x1000   // AP on top of the bootloader
        let e = try binpkgRefusal(BinpkgWriter.write(images))
        #expect(e.reason.contains("overlaps"))
    }

    @Test func binpkgImageOverlappingTheScriptPartition() throws {
        var images = SyntheticSoc().coreImages()
        images[1].address = 0x2CC000 - 0x1000
        images[1].reservedSize = 0
        let e = try binpkgRefusal(BinpkgWriter.write(images))
        #expect(e.reason.contains("script partition"))
    }

    @Test func binpkgImageOutOfRange() throws {
        var images = SyntheticSoc().coreImages()
        images[2].address = 0xFC000     // CP image running past the 1 MiB CP flash
        let e = try binpkgRefusal(BinpkgWriter.write(images))
        #expect(e.reason.contains("runs past the end of the cp_flash"))
    }

    @Test func binpkgImageLargerThanItsReservedRegion() throws {
        var images = SyntheticSoc().coreImages()
        images[0].reservedSize = 1024
        #expect(try binpkgRefusal(BinpkgWriter.write(images)).reason.contains("larger than its reserved"))
    }

    @Test func binpkgWithoutAnAPImage() throws {
        let images = SyntheticSoc().coreImages().filter { $0.type != "AP" }
        #expect(try binpkgRefusal(BinpkgWriter.write(images)).reason == "no AP image in the package")
    }

    @Test func binpkgWithTwoBootloaders() throws {
        var images = SyntheticSoc().coreImages()
        images.append(images[0])
        #expect(try binpkgRefusal(BinpkgWriter.write(images)).reason == "two BL images in the package")
    }

    @Test func agentBootMissingIsAnErrorThatSaysWhereToFindOne() throws {
        let soc = try SocPackage(bytes: try Fixtures.soc { $0.includeAgentBoot = false }, path: "core.soc")
        #expect(soc.agentBoot.agentBoot == nil)
        let e = try #require(throws: FirmwareError.self) { try soc.requireAgentBoot() }
        #expect(e.file == "core.soc")
        #expect(e.reason.contains("agentboot_usb.bin"))
        #expect(e.reason.contains("--agentboot"))
    }

    @Test func agentBootFileThatDoesNotExist() throws {
        let e = try #require(throws: FirmwareError.self) {
            try SocPackage(bytes: Fixtures.small, path: "f.soc", agentBootPath: "/nonexistent/agentboot.bin")
        }
        #expect(e.file == "/nonexistent/agentboot.bin")
    }

    @Test func missingFileAndDirectory() throws {
        #expect(throws: FirmwareError(file: "/nonexistent.soc", reason: "no such file")) {
            try SocPackage.open(path: "/nonexistent.soc")
        }
        let folder = try Fixtures.temporaryFolder()
        let e = try #require(throws: FirmwareError.self) { try SocPackage.open(path: folder.path) }
        #expect(e.reason.contains("directory"))
    }
}
