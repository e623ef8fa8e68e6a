import Firmware
import Foundation
import TestSupport
import Testing

/// `.soc` files written by 7-Zip itself (Debian's `7zip`, binary `7zz`), with the codecs and
/// filters vendor builds may use, read the same as our own fixtures.
@Suite struct IndependentArchiveTests {
    static let sevenZip = ["/usr/bin/7zz", "/usr/bin/7z", "/usr/bin/7za"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static let methods: [[String]] = [
        ["-mx9"],                              // the SDK's own command: LZMA2, solid
        ["-m0=LZMA"],
        ["-m0=BCJ", "-m1=LZMA2"],
        ["-mf=ARM"],
        ["-mf=ARMT"],
        ["-m0=PPMd"],
        ["-ms=off"],
    ]

    @Test(arguments: methods)
    func sevenZipWrittenPackageMatchesOurPlan(options: [String]) throws {
        let tool = try #require(Self.sevenZip, "7-Zip (apt package 7zip) is needed for this test")
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pack = folder.appendingPathComponent("pack")
        try FileManager.default.createDirectory(at: pack, withIntermediateDirectories: true)
        for member in SyntheticSoc().members() {
            try Data(member.bytes).write(to: pack.appendingPathComponent(member.name))
        }
        let output = folder.appendingPathComponent("LuatOS-SoC_V1112_EC618_FULL.soc")
        let result = try ChildProcess.run(tool, ["a", "-t7z", "-bd", "-bso0"] + options + [output.path + ".7z", "."],
                                          directory: pack.path)
        try #require(result.status == 0, "7-Zip failed: \(result.stderr)")
        try FileManager.default.moveItem(atPath: output.path + ".7z", toPath: output.path)

        let theirs = try SocPackage.open(path: output.path)
        let ours = try SocPackage(bytes: Fixtures.small, path: "ours.soc")
        #expect(theirs.format == .sevenZip)
        #expect(theirs.plan == ours.plan)
        #expect(theirs.agentBoot.agentBoot?.bytes == ours.agentBoot.agentBoot?.bytes)
    }
}
