import Testing
@testable import Hotplug
import Vocabulary

@Suite struct PhysicalPathTests {
    @Test func parsesDeviceNames() throws {
        let path = try #require(PhysicalPath("1-1.3"))
        #expect(path.bus == 1)
        #expect(path.ports == [1, 3])
        #expect(PhysicalPath("3-2")?.ports == [2])
        for bad in ["usb1", "1-1.3:1.2", "1-", "-1", "1-1..3", "a-1", "1-1.x", ""] {
            #expect(PhysicalPath(bad) == nil, "\(bad) is not a device name")
        }
        #expect(PhysicalPath(bus: 2, ports: [1, 4, 2])?.rawValue == "2-1.4.2")
        #expect(PhysicalPath(bus: 2, ports: []) == nil)
    }

    @Test func ordersByBusThenPorts() throws {
        let paths = ["2-1", "1-1.10", "1-1.2", "1-1", "1-1.3"].compactMap(PhysicalPath.init)
        #expect(paths.sorted().map(\.rawValue) == ["1-1", "1-1.2", "1-1.3", "1-1.10", "2-1"])
    }

    @Test func ttyBelowHubsBelongsToTheDeepestDevice() throws {
        let location = try #require(SysfsLocation(syspath:
            "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.3/1-1.3:1.6/tty/ttyACM2"))
        #expect(location.path.rawValue == "1-1.3")
        #expect(location.interface == 6)
    }

    @Test func usbDeviceItselfHasNoInterface() throws {
        let location = try #require(SysfsLocation(syspath: "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.3"))
        #expect(location.path.rawValue == "1-1.3")
        #expect(location.interface == nil)
    }

    @Test func nonUSBDevicesHaveNoLocation() {
        #expect(SysfsLocation(syspath: "/sys/devices/platform/serial8250/tty/ttyS0") == nil)
        #expect(SysfsLocation(syspath: "/sys/devices/pci0000:00/0000:00:14.0/usb1") == nil)
        #expect(SysfsLocation(syspath: "/sys/devices/virtual/tty/ptmx") == nil)
    }

    @Test func productKeyFromKernelUevents() {
        #expect(UDevTranslation.usbID(fromProductKey: "17d1/1/200") == USBID(vendor: 0x17D1, product: 1))
        #expect(UDevTranslation.usbID(fromProductKey: "garbage") == nil)
    }

    @Test func slotLabelsFromCommandLine() throws {
        let labels = try SlotLabels.parse(["1-1.3=A1", "1-1.4=A2"])
        #expect(labels.slot(at: PhysicalPath("1-1.3")!).label == "A1")
        #expect(labels.slot(at: PhysicalPath("1-1.9")!).label == "1-1.9")
        #expect(throws: SlotLabelError.self) { try SlotLabels.parse(["A1"]) }
        #expect(throws: SlotLabelError.self) { try SlotLabels.parse(["ttyACM0=A1"]) }
        #expect(throws: SlotLabelError.self) { try SlotLabels.parse(["1-1.3="]) }
    }
}
