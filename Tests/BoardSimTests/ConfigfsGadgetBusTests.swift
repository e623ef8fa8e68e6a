@testable import BoardSim
import Foundation
import Testing

/// The parts of the configfs gadget bus that need no kernel: the FunctionFS ep0 blobs (checked
/// byte by byte against `<linux/usb/functionfs.h>`), and the refusal on a machine without
/// configfs. The gadgets themselves run in `scripts/kernel-usb-tier`.
struct ConfigfsGadgetBusTests {
    @Test func theVendorBulkDescriptorsAreFunctionFSV2WithFullAndHighSpeedSets() {
        let blob = FunctionFSDescriptors.vendorBulk()
        let interface: [UInt8] = [9, 4, 0, 0, 2, 0xFF, 0, 0, 0]
        let fullSpeed = interface + [7, 5, 0x01, 2, 64, 0, 0] + [7, 5, 0x82, 2, 64, 0, 0]
        let highSpeed = interface + [7, 5, 0x01, 2, 0x00, 0x02, 0] + [7, 5, 0x82, 2, 0x00, 0x02, 0]
        let expected: [UInt8] = [3, 0, 0, 0,          // FUNCTIONFS_DESCRIPTORS_MAGIC_V2
                                 66, 0, 0, 0,         // total length
                                 3, 0, 0, 0,          // HAS_FS_DESC | HAS_HS_DESC
                                 3, 0, 0, 0, 3, 0, 0, 0]  // fs_count, hs_count
            + fullSpeed + highSpeed
        #expect(blob == expected)
    }

    @Test func thePadHasInterfacesAndNoEndpoints() {
        let blob = FunctionFSDescriptors.zeroEndpointPad(interfaces: 2)
        #expect(blob.count == 20 + 4 * 9)
        #expect(Array(blob[12..<20]) == [2, 0, 0, 0, 2, 0, 0, 0])
        // Interface numbers 0 and 1 (FunctionFS renumbers them into the gadget), zero endpoints each.
        #expect(Array(blob[20..<29]) == [9, 4, 0, 0, 0, 0xFF, 0, 0, 0])
        #expect(Array(blob[29..<38]) == [9, 4, 1, 0, 0, 0xFF, 0, 0, 0])
    }

    @Test func theStringsBlobDeclaresNoLanguages() {
        #expect(FunctionFSDescriptors.noStrings() == [2, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func aMachineWithoutConfigfsGetsAReasonNotACrash() {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-configfs-\(UUID().uuidString)").path
        let reason = ConfigfsGadgetBus.unavailableReason(udc: "dummy_udc.0", configfsRoot: missing)
        #expect(reason?.contains("configfs") == true)
    }
}
