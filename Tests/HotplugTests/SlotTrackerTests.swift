import Testing
@testable import Hotplug

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

    @Test func dataInterfaceNumbersAlsoMapToRoles() {
        #expect(BoardUSBIdentity.air780e.runningRole(interface: 3) == .socLog)
        #expect(BoardUSBIdentity.air780e.runningRole(interface: 7) == .vuart)
        #expect(BoardUSBIdentity.air780e.runningRole(interface: 1) == nil)
        #expect(BoardUSBIdentity.air780e.mode(of: USBID(vendor: 0x19D1, product: 2)) == nil)
    }
}
