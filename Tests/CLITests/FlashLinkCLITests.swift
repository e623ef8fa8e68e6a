import Foundation
import Testing

/// `provision flash --link usb`: the board is addressed by its physical USB path.
@Suite struct FlashLinkCLITests {
    @Test func usbLinkToAnAbsentBoardIsAMachineErrorNamingThePath() throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let soc = folder.appendingPathComponent("x.soc").path
        #expect(try ProvisionBinary.run(["sim", "make-soc", soc, "--size", "small"]).status == 0)
        for arguments in [["--port", "9-9.9"], ["--port", "9-9.9", "--link", "usb"]] {
            let result = try ProvisionBinary.run(["flash", "--soc", soc] + arguments)
            #expect(result.status == 3, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("9-9.9"))
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }
}
