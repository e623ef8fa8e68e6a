import Foundation
import Testing

/// `provision flash --link usb`: the board is addressed by its physical USB path.
@Suite struct FlashLinkCLITests {
    @Test func usbLinkToAnAbsentBoardIsAMachineErrorNamingThePath() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let soc = folder.appendingPathComponent("x.soc").path
        #expect(try await ProvisionBinary.run(["sim", "make-soc", soc, "--size", "small"]).status == 0)
        for arguments in [["--port", "9-9.9"], ["--port", "9-9.9", "--link", "usb"]] {
            let result = try await ProvisionBinary.run(["flash", "--soc", soc] + arguments)
            #expect(result.status == 3, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("9-9.9"))
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }
}

/// `provision sim gadget` where the kernel offers no USB gadget support (this test machine, CI):
/// a one-line reason and exit 3 — the machine, not the input.
@Suite(.enabled(if: !FileManager.default.fileExists(atPath: "/sys/kernel/config/usb_gadget"),
                 "this machine has USB gadget support"))
struct SimGadgetCLITests {
    @Test func noGadgetSupportIsAnEnvironmentError() async throws {
        for arguments in [["sim", "gadget"], ["sim", "gadget", "--udc", "dummy_udc.0"]] {
            let result = try await ProvisionBinary.run(arguments)
            #expect(result.status == 3, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("provision: ") && result.stderr.split(separator: "\n").count == 1)
        }
    }
}
