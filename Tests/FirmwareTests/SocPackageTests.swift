import Firmware
import Foundation
import Testing

@Suite struct SocPackageTests {
    @Test func syntheticPackagePlansEveryImageAtItsAddress() throws {
        let generator = SyntheticSoc()
        let soc = try SocPackage(bytes: Fixtures.small, path: "fixture.soc")
        let expected = generator.coreImages()

        #expect(soc.format == .sevenZip)
        #expect(soc.info.chipType == "ec618")
        #expect(soc.plan.images.map(\.kind) == [.bootloader, .ap, .cp])
        for (image, source) in zip(soc.plan.images, expected) {
            #expect(image.bytes == source.bytes)
            #expect(image.sha256 == SHA256Hex.of(source.bytes))
            #expect(image.packageAddress == source.address)
        }
        let placed = soc.plan.images.map { "\($0.kind.rawValue) \($0.storage.rawValue) \($0.flashOffset)" }
        #expect(placed == ["BL ap_flash \(0x4000)", "AP ap_flash \(0x24000)", "CP cp_flash 0"])
        #expect(soc.plan.scriptPartition == ScriptPartition(flashOffset: 0x2CC000, capacity: 128 * 1024))
        #expect(soc.plan.script == nil)
        #expect(soc.agentBoot.agentBoot?.bytes == SyntheticSoc.agentBootBytes())
        #expect(soc.members.count == generator.members().count)
    }

    @Test func pkgmodePackageLandsAtTheSameRawOffsets() throws {
        let soc = try SocPackage(bytes: try Fixtures.soc { $0.pkgmode = true }, path: "pkgmode.soc")
        #expect(soc.binpkg.isPkgmode)
        #expect(soc.binpkg.productName == "EC618_4M")
        #expect(soc.plan.images.map(\.flashOffset) == [0x4000, 0x24000, 0])
        #expect(soc.plan.images.map(\.packageAddress) == [0x804000, 0x824000, 0x8800000])
        #expect(soc.plan.images.map(\.storage) == [.apFlash, .apFlash, .cpFlash])
    }

    @Test func zipPackageReadsLikeSevenZip() throws {
        let zip = try SocPackage(bytes: try Fixtures.soc { $0.format = .zip }, path: "fixture.zip.soc")
        let sevenZip = try SocPackage(bytes: Fixtures.small, path: "fixture.soc")
        #expect(zip.format == .zip)
        #expect(zip.plan == sevenZip.plan)
    }

    @Test(arguments: SyntheticSoc.AddressStyle.allCases, [false, true])
    func infoJSONAddressAndSizeSpellingsParseAlike(style: SyntheticSoc.AddressStyle, sizeAsString: Bool) throws {
        var generator = SyntheticSoc()
        generator.addressStyle = style
        generator.scriptSizeAsString = sizeAsString
        let info = try InfoJSON(bytes: Array(generator.infoJSON().utf8), file: "info.json")
        #expect(info.scriptPartition == ScriptPartition(flashOffset: 0x2CC000, capacity: 131072))
        #expect(info.fotaFullAddress == 0x2EC000)
        #expect(info.forceBaud == 1_152_000)
    }

    @Test func unknownInfoFieldsAreKept() throws {
        let text = SyntheticSoc().infoJSON().replacingOccurrences(
            of: "\"version\": 1,", with: "\"version\": 1, \"vendor_extra\": {\"x\": [1, \"two\"]},")
        let info = try InfoJSON(bytes: Array(text.utf8), file: "info.json")
        #expect(info.raw.at("vendor_extra.x") == .array([.number(1), .string("two")]))
    }

    @Test func embeddedScriptImageJoinsThePlan() throws {
        let script = [UInt8](repeating: 0x5A, count: 1000)
        let soc = try SocPackage(bytes: try Fixtures.soc { $0.scriptImage = script }, path: "mp.soc")
        let image = try #require(soc.plan.script)
        #expect(image.bytes == script)
        #expect(image.flashOffset == 0x2CC000)
        #expect(soc.plan.images.map(\.kind) == [.bootloader, .ap, .cp, .script])
    }

    @Test func scriptLargerThanThePartitionIsRefusedWithTheExcess() throws {
        let oversize = [UInt8](repeating: 0, count: 128 * 1024 + 17)
        let error = try #require(throws: FirmwareError.self) {
            try SocPackage(bytes: try Fixtures.soc { $0.scriptImage = oversize }, path: "big.soc")
        }
        #expect(error.file == "big.soc:script.bin")
        #expect(error.reason.contains("17 bytes over"))
    }

    @Test func explicitAgentBootWinsOverTheEmbeddedOne() throws {
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("agentboot_usb.bin").path
        try Data([1, 2, 3, 4]).write(to: URL(fileURLWithPath: path))
        let soc = try SocPackage(bytes: Fixtures.small, path: "fixture.soc", agentBootPath: path)
        #expect(soc.agentBoot.agentBoot?.bytes == [1, 2, 3, 4])
        #expect(soc.agentBoot.agentBoot?.source == path)
        #expect(soc.warnings.contains { $0.contains("not a known vendor build") })
    }

    @Test func versionAndVariantComeFromTheVendorFileName() {
        #expect(SocPackageFileName.parse("/x/LuatOS-SoC_V1112_EC618_FULL.soc") == ("V1112", "FULL"))
        #expect(SocPackageFileName.parse("LuatOS-SoC_V1112_EC618.soc") == ("V1112", nil))
        #expect(SocPackageFileName.parse("LuatOS-SoC_V1112_EC618_TTS_ONCHIP.soc") == ("V1112", "TTS_ONCHIP"))
        #expect(SocPackageFileName.parse("firmware.soc") == (nil, nil))
    }

    @Test func openReadsFromDisk() throws {
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("LuatOS-SoC_V1112_EC618_FULL.soc").path
        try Data(Fixtures.small).write(to: URL(fileURLWithPath: path))
        let soc = try SocPackage.open(path: path)
        #expect(soc.fileNameVersion == "V1112")
        #expect(soc.fileNameVariant == "FULL")
        #expect(soc.plan.images.count == 3)
    }
}
