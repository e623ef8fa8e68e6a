import Firmware
import Foundation
import Testing

/// The calibration and NV regions are never in a plan: a crafted package or profile is refused
/// when it is opened, before any board is touched.
@Suite struct FlashWriteGuardTests {
    private func refusal(_ soc: SyntheticSoc) throws -> FirmwareError {
        let bytes = try soc.make()
        return try #require(throws: FirmwareError.self) { try SocPackage(bytes: bytes, path: "crafted.soc") }
    }

    @Test(arguments: [UInt32(0xE7000), 0xCE000, 0xCD000, 0xC8000])
    func aCPImageReachingTheCalibrationTablesIsRefused(offset: UInt32) throws {
        var soc = SyntheticSoc()
        soc.cpOffset = offset
        let e = try refusal(soc)
        #expect(e.file == "crafted.soc")
        #expect(e.reason.contains("cp-demo-flash.bin"))
        #expect(e.reason.contains("CP NV and RF calibration"))
    }

    @Test func aCPImageEndingRightBelowTheCalibrationIsAccepted() throws {
        var soc = SyntheticSoc()
        let cpSize = soc.sizes.cp
        soc.cpOffset = UInt32(0xCD000 - cpSize) / 4096 * 4096
        let package = try SocPackage(bytes: try soc.make(), path: "edge.soc")
        #expect(package.plan.images.contains { $0.storage == .cpFlash && $0.flashOffset == soc.cpOffset })
    }

    @Test func aWriteIsCheckedOnTheWholeSectorsItErases() throws {
        // A region that starts mid-sector: a write in the first half of that sector erases it too.
        let region = ProtectedRegion(name: "half sector", storage: .apFlash, start: 0x1800, end: 0x2000)
        let guardian = FlashWriteGuard(extra: [region])
        try guardian.check(write: "below", storage: .apFlash, offset: 0x0, count: 0x1000, source: "p")
        let e = try #require(throws: FirmwareError.self) {
            try guardian.check(write: "same sector", storage: .apFlash, offset: 0x1000, count: 0x100, source: "p")
        }
        #expect(e.reason.contains("half sector"))
        // The same offsets in the other chip are someone else's bytes.
        try guardian.check(write: "cp", storage: .cpFlash, offset: 0x1000, count: 0x100, source: "p")
    }

    @Test func aScriptPartitionInTheNVAreaIsRefused() throws {
        let text = SyntheticSoc().infoJSON().replacingOccurrences(of: "\"2CC000\"", with: "\"3E0000\"")
        #expect(text.contains("3E0000"))
        let bytes = try ArchiveWriter.write(SyntheticSoc().members(infoJSON: text), format: .sevenZip)
        let e = try #require(throws: FirmwareError.self) { try SocPackage(bytes: bytes, path: "nv.soc") }
        #expect(e.reason.contains("script partition"))
        #expect(e.reason.contains("AP factory/runtime NV"))
    }

    @Test func aWritePastTheChipIsRefused() throws {
        let guardian = FlashWriteGuard()
        let e = try #require(throws: FirmwareError.self) {
            try guardian.check(write: "x.bin", storage: .cpFlash, offset: 0xFF000, count: 0x2000, source: "p")
        }
        #expect(e.reason.contains("runs past the end"))
        #expect(throws: FirmwareError.self) {
            try guardian.check(write: "x.bin", storage: .apFlash, offset: UInt32.max, count: Int.max, source: "p")
        }
    }

    @Test func theFSKVRegionIsWritableAndItsNeighboursAreNot() throws {
        let guardian = FlashWriteGuard()
        let fskv = EC618FlashMap.fskvRegion
        try guardian.check(write: "fskv", storage: .apFlash, offset: fskv.start, count: fskv.size, source: "p")
        let fs = EC618FlashMap.fileSystemRegion
        try guardian.check(write: "lfs", storage: .apFlash, offset: fs.start, count: fs.size, source: "p")
        #expect(throws: FirmwareError.self) {
            try guardian.check(write: "fskv+1", storage: .apFlash, offset: fskv.start, count: fskv.size + 1, source: "p")
        }
    }

    @Test func aProfileAddsProtectedRegionsAndTheStationGuardUsesThem() throws {
        let extra = """

            [flash]
            protected = [{ name = "board vendor's serial block", storage = "ap_flash", start = 0x2CC000, end = 0x2CD000 }]
            """
        let profile = try Profile(toml: ProfileTests.shipped + extra, source: "p.toml")
        #expect(profile.flashGuard.protected.count == EC618FlashMap.protectedRegions.count + 1)
        let package = try SocPackage(bytes: try SyntheticSoc().make(), path: "ok.soc")
        let e = try #require(throws: FirmwareError.self) { try profile.flashGuard.check(package.plan, source: "ok.soc") }
        #expect(e.reason.contains("board vendor's serial block"))
        // The shipped profile accepts the same package.
        try Profile(toml: ProfileTests.shipped, source: "s.toml").flashGuard.check(package.plan, source: "ok.soc")
    }

    @Test(arguments: [
        ("storage = \"nv\", start = 0, end = 4096", "storage must be"),
        ("storage = \"cp_flash\", start = 4096, end = 4096", "start and end"),
        ("storage = \"cp_flash\", start = 0, end = 0x200000", "start and end"),
        ("storage = \"ap_flash\", start = -1, end = 4096", "start and end"),
    ])
    func aMalformedProtectedRegionIsRefusedNamingTheKey(change: (String, String)) throws {
        let text = ProfileTests.shipped + "\n[flash]\nprotected = [{ name = \"r\", \(change.0) }]\n"
        let e = try #require(throws: FirmwareError.self) { try Profile(toml: text, source: "bad.toml") }
        #expect(e.reason.contains("flash.protected[0]"))
        #expect(e.reason.contains(change.1))
    }
}
