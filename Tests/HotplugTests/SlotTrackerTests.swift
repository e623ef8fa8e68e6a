import Testing
@testable import Hotplug
import Vocabulary

/// The slot state machine fed with synthetic events and instants.
@Suite struct SlotTrackerTests {
    let t0 = ContinuousClock.now
    let a = PhysicalPath("1-1.3")!
    let b = PhysicalPath("1-1.4")!
    let download = BoardUSBIdentity.air780e.download
    let running = BoardUSBIdentity.air780e.running

    func tracker(debounce: Duration = .seconds(2)) -> SlotTracker {
        SlotTracker(labels: SlotLabels([a: "A1"]), debounce: debounce)
    }

    func usb(_ path: PhysicalPath, _ id: USBID, _ devnum: Int) -> DeviceEvent {
        .usbAdded(USBDevice(path: path, id: id, devnode: "/dev/bus/usb/001/\(devnum)"))
    }

    @Test func downloadBoardIsReportedWithItsPortAndLabel() {
        var t = tracker()
        #expect(t.handle(usb(a, download, 5), at: t0).isEmpty)
        let reports = t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0)
        #expect(reports == [.download(DownloadBoard(slot: Slot(path: a, label: "A1"),
                                                    usbDevnode: "/dev/bus/usb/001/5", port: "/dev/ttyACM0"))])
    }

    @Test func aLibusbStationTakesADownloadBoardBeforeItsTty() {
        var t = tracker()
        t.downloadNeedsPort = false
        let slot = Slot(path: a, label: "A1")
        #expect(t.handle(usb(a, download, 5), at: t0)
                == [.download(DownloadBoard(slot: slot, usbDevnode: "/dev/bus/usb/001/5", port: nil))])
        // The tty, when the kernel makes one, completes the board in a second report.
        #expect(t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0 + .milliseconds(5))
                == [.download(DownloadBoard(slot: slot, usbDevnode: "/dev/bus/usb/001/5", port: "/dev/ttyACM0"))])
    }

    @Test func runningBoardWaitsForAllThreePortsAndMapsByInterface() throws {
        var t = tracker()
        _ = t.handle(usb(b, running, 7), at: t0)
        // tty numbering deliberately not in interface order
        #expect(t.handle(.ttyAdded(path: b, interface: 6, devnode: "/dev/ttyACM0"), at: t0).isEmpty)
        #expect(t.handle(.ttyAdded(path: b, interface: 2, devnode: "/dev/ttyACM1"), at: t0).isEmpty)
        let reports = t.handle(.ttyAdded(path: b, interface: 4, devnode: "/dev/ttyACM2"), at: t0 + .milliseconds(10))
        let report = try #require(reports.first)
        guard case .running(let board) = report else { Issue.record("not running: \(report)"); return }
        #expect(board.complete)
        #expect(board.slot.label == "1-1.4")
        #expect(board.ports == [.socLog: "/dev/ttyACM1", .trace: "/dev/ttyACM2", .vuart: "/dev/ttyACM0"])
    }

    @Test func halfEnumeratedBoardIsReportedIncompleteAfterTheDeadlineThenCompleted() throws {
        var t = tracker(debounce: .seconds(2))
        _ = t.handle(usb(a, running, 7), at: t0)
        _ = t.handle(.ttyAdded(path: a, interface: 2, devnode: "/dev/ttyACM0"), at: t0)
        _ = t.handle(.ttyAdded(path: a, interface: 4, devnode: "/dev/ttyACM1"), at: t0)
        #expect(t.nextDeadline == t0 + .seconds(2))
        #expect(t.expire(at: t0 + .milliseconds(1999)).isEmpty)
        let late = t.expire(at: t0 + .seconds(2))
        guard case .running(let partial)? = late.first else { Issue.record("no report: \(late)"); return }
        #expect(!partial.complete)
        #expect(partial.ports.count == 2)
        #expect(t.nextDeadline == nil)
        #expect(t.expire(at: t0 + .seconds(5)).isEmpty, "reported once")
        let done = t.handle(.ttyAdded(path: a, interface: 6, devnode: "/dev/ttyACM2"), at: t0 + .seconds(6))
        guard case .running(let whole)? = done.first else { Issue.record("no completion: \(done)"); return }
        #expect(whole.complete)
    }

    @Test func resetKeepsTheSlotAcrossShapes() {
        var t = tracker()
        _ = t.handle(usb(a, download, 5), at: t0)
        #expect(t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0).map(\.kind) == ["download"])
        #expect(t.handle(.ttyRemoved(path: a, devnode: "/dev/ttyACM0"), at: t0).isEmpty)
        #expect(t.handle(.usbRemoved(path: a), at: t0).map(\.kind) == ["gone"])
        _ = t.handle(usb(a, running, 6), at: t0)
        var kinds: [String] = []
        for (i, iface) in [2, 4, 6].enumerated() {
            kinds += t.handle(.ttyAdded(path: a, interface: iface, devnode: "/dev/ttyACM\(i)"), at: t0).map(\.kind)
        }
        #expect(kinds == ["running"])
        // Back to download mode without a removal event in between (missed uevent).
        let back = t.handle(usb(a, download, 8), at: t0)
        #expect(back.map(\.kind) == ["gone"])
        #expect(back.allSatisfy { $0.slot.label == "A1" })
        // The running shape's ttys must not complete the download shape: its own tty does.
        #expect(t.occupied == [a])
        let own = t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM3"), at: t0)
        guard case .download(let board)? = own.first else { Issue.record("no download report: \(own)"); return }
        #expect(board.port == "/dev/ttyACM3")
    }

    @Test func twoIdenticalBoardsOnDifferentPathsAreTwoSlots() {
        var t = tracker()
        _ = t.handle(usb(a, download, 5), at: t0)
        _ = t.handle(usb(b, download, 6), at: t0)
        let r1 = t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0)
        let r2 = t.handle(.ttyAdded(path: b, interface: 0, devnode: "/dev/ttyACM1"), at: t0)
        #expect(r1.map(\.slot.path) == [a])
        #expect(r2.map(\.slot.path) == [b])
        #expect(t.handle(.usbRemoved(path: a), at: t0).map(\.slot.path) == [a])
        #expect(t.occupied == [b])
    }

    @Test func otherUSBDevicesAndTheirTtysAreIgnored() {
        var t = tracker(debounce: .milliseconds(1))
        let adapter = USBID(vendor: 0x0403, product: 0x6001)
        #expect(t.handle(usb(a, adapter, 9), at: t0).isEmpty)
        #expect(t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyUSB0"), at: t0).isEmpty)
        #expect(t.expire(at: t0 + .seconds(10)).isEmpty)
        #expect(t.handle(.usbRemoved(path: a), at: t0).isEmpty)
        #expect(t.occupied.isEmpty)
    }

    @Test func ttyArrivingBeforeItsDeviceIsKept() {
        var t = tracker()
        #expect(t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM3"), at: t0).isEmpty)
        let r = t.handle(usb(a, download, 5), at: t0)
        guard case .download(let board)? = r.first else { Issue.record("no report: \(r)"); return }
        #expect(board.port == "/dev/ttyACM3")
    }

    @Test func duplicateAddFromEnumerationRaceIsIgnored() {
        var t = tracker()
        _ = t.handle(usb(a, download, 5), at: t0)
        _ = t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0)
        #expect(t.handle(usb(a, download, 5), at: t0).isEmpty)
        #expect(t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0).isEmpty)
    }

    @Test func removalOfAnUnreportedBoardSaysNothing() {
        var t = tracker()
        _ = t.handle(usb(a, running, 5), at: t0)
        #expect(t.handle(.usbRemoved(path: a), at: t0).isEmpty)
    }

    // MARK: Shapes by layout (spec ec618 §10 item 2): a single-port device with the running ID.

    func tracker(acceptingSinglePort: Bool, debounce: Duration = .seconds(2)) -> SlotTracker {
        var identity = BoardUSBIdentity.air780e
        identity.singlePortRunningIsDownload = acceptingSinglePort
        return SlotTracker(identity: identity, labels: SlotLabels([a: "A1"]), debounce: debounce)
    }

    @Test func singlePortRunningIDIsAnUnknownShapeAtTheDeadlineNamingWhatWasSeen() throws {
        var t = tracker(acceptingSinglePort: false)
        #expect(t.handle(usb(a, running, 8), at: t0).isEmpty)
        // Not decided on the tty alone: without its interface count it may be a running board's first port.
        #expect(t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0).isEmpty)
        #expect(t.expire(at: t0 + .milliseconds(1999)).isEmpty)
        let reports = t.expire(at: t0 + .seconds(2))
        guard case .unknownShape(let odd)? = reports.first, reports.count == 1 else {
            Issue.record("not an unknown shape: \(reports)"); return
        }
        #expect(odd.slot == Slot(path: a, label: "A1"))
        #expect(odd.id == running)
        #expect(odd.usbDevnode == "/dev/bus/usb/001/8")
        #expect(odd.ports == ["/dev/ttyACM0"])
        for part in ["1-1.3", "19d1:0001", "/dev/ttyACM0 on interface 0", "interfaces 2/4/6", "17d1:0001",
                     "unknown shape", "accept_single_port_running_id"] {
            #expect(odd.message.contains(part), "\(part) missing from: \(odd.message)")
        }
        #expect(t.nextDeadline == nil, "not left waiting as an incomplete running board")
        #expect(t.expire(at: t0 + .seconds(9)).isEmpty, "reported once")
        #expect(t.handle(.usbRemoved(path: a), at: t0 + .seconds(10)) == [.gone(Slot(path: a, label: "A1"))])
    }

    @Test func singlePortRunningIDIsDownloadModeWhenTheProfileSaysSo() {
        var t = tracker(acceptingSinglePort: true)
        _ = t.handle(usb(a, running, 8), at: t0)
        _ = t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0)
        #expect(t.expire(at: t0 + .seconds(2))
                == [.download(DownloadBoard(slot: Slot(path: a, label: "A1"), usbDevnode: "/dev/bus/usb/001/8",
                                            port: "/dev/ttyACM0"))])
    }

    @Test func aKnownInterfaceCountSettlesTheLayoutWithoutWaiting() {
        // The kernel's `bind` brings bNumInterfaces after `add`: 2 interfaces hold one CDC port only.
        var t = tracker(acceptingSinglePort: true)
        _ = t.handle(usb(a, running, 8), at: t0)
        #expect(t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0).isEmpty)
        let bound = DeviceEvent.usbAdded(USBDevice(path: a, id: running, devnode: "/dev/bus/usb/001/8", interfaceCount: 2))
        #expect(t.handle(bound, at: t0 + .milliseconds(5)).map(\.kind) == ["download"])
        // And without the profile key, an unknown shape at once; its message counts the interfaces.
        var strict = tracker(acceptingSinglePort: false)
        _ = strict.handle(bound, at: t0)
        let r = strict.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0)
        guard case .unknownShape(let odd)? = r.first else { Issue.record("not an unknown shape: \(r)"); return }
        #expect(odd.message.contains("2 USB interfaces"))
    }

    @Test func theProfileKeyDoesNotTakeSeveralPortsOffTheRunningInterfaces() {
        var t = tracker(acceptingSinglePort: true)
        _ = t.handle(usb(a, running, 8), at: t0)
        _ = t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0)
        _ = t.handle(.ttyAdded(path: a, interface: 8, devnode: "/dev/ttyACM1"), at: t0)
        #expect(t.expire(at: t0 + .seconds(2)).map(\.kind) == ["unknown"])
    }

    @Test(arguments: [false, true])
    func aNormalRunningBoardIsUnaffectedByTheLayoutRule(acceptingSinglePort: Bool) throws {
        var t = tracker(acceptingSinglePort: acceptingSinglePort)
        let bound = DeviceEvent.usbAdded(USBDevice(path: a, id: running, devnode: "/dev/bus/usb/001/7", interfaceCount: 8))
        _ = t.handle(bound, at: t0)
        #expect(t.handle(.ttyAdded(path: a, interface: 2, devnode: "/dev/ttyACM0"), at: t0).isEmpty)
        #expect(t.handle(.ttyAdded(path: a, interface: 4, devnode: "/dev/ttyACM1"), at: t0).isEmpty)
        let r = t.handle(.ttyAdded(path: a, interface: 6, devnode: "/dev/ttyACM2"), at: t0)
        guard case .running(let board)? = r.first else { Issue.record("not running: \(r)"); return }
        #expect(board.complete)
        // A slow one with only x.2 at the deadline is still an incomplete running board.
        var slow = tracker(acceptingSinglePort: acceptingSinglePort)
        _ = slow.handle(usb(b, running, 9), at: t0)
        _ = slow.handle(.ttyAdded(path: b, interface: 2, devnode: "/dev/ttyACM3"), at: t0)
        guard case .running(let partial)? = slow.expire(at: t0 + .seconds(2)).first else {
            Issue.record("not running"); return
        }
        #expect(!partial.complete && partial.ports == [.socLog: "/dev/ttyACM3"])
    }

    @Test(arguments: [false, true])
    func aDownloadModeBoardIsUnaffectedByTheLayoutRule(acceptingSinglePort: Bool) {
        var t = tracker(acceptingSinglePort: acceptingSinglePort)
        let bound = DeviceEvent.usbAdded(USBDevice(path: a, id: download, devnode: "/dev/bus/usb/001/5", interfaceCount: 2))
        #expect(t.handle(bound, at: t0).isEmpty)
        #expect(t.handle(.ttyAdded(path: a, interface: 0, devnode: "/dev/ttyACM0"), at: t0)
                == [.download(DownloadBoard(slot: Slot(path: a, label: "A1"), usbDevnode: "/dev/bus/usb/001/5",
                                            port: "/dev/ttyACM0"))])
    }

    @Test func dataInterfaceNumbersAlsoMapToRoles() {
        #expect(BoardUSBIdentity.air780e.runningRole(interface: 3) == .socLog)
        #expect(BoardUSBIdentity.air780e.runningRole(interface: 7) == .vuart)
        #expect(BoardUSBIdentity.air780e.runningRole(interface: 1) == nil)
        #expect(BoardUSBIdentity.air780e.mode(of: USBID(vendor: 0x19D1, product: 2)) == nil)
    }
}
