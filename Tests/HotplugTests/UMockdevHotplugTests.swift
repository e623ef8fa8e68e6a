import Foundation
import Hotplug
import Testing

/// Every test that needs the umockdev preload, in one serialized suite: `UMOCKDEV_DIR` is
/// process-global, so no two of them may run at once. The nested suites below extend it.
@Suite(.serialized, .enabled(if: UMockdev.active, UMockdev.skipReason))
struct UMockdevTests {}

extension UMockdevTests {
/// Real libudev against umockdev's simulated bus: boards are added and removed by the Python
/// testbed helper; the watcher must follow each slot.
@Suite struct Slots {
    let labels = SlotLabels([PhysicalPath("1-1.3")!: "A1", PhysicalPath("1-1.4")!: "A2"])

    func watch(_ source: MonitorSource = .udev, debounce: Duration = .seconds(3)) async throws -> ReportLog {
        let log = ReportLog()
        await log.start(try SlotWatcher.reports(WatchSettings(source: source, labels: labels, debounce: debounce)))
        return log
    }

    @Test(arguments: MonitorSource.allCases)
    func twoIdenticalBoardsOnDifferentPathsAreTwoSlots(source: MonitorSource) async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let first = UMockdevTestbed.fields(try tb.send("board 1-1.3 download"))
        let log = try await watch(source)
        defer { Task { await log.stop() } }

        // Present at start: reported from the enumeration.
        guard case .download(let a)? = await log.next() else { Issue.record("no report for 1-1.3"); return }
        #expect(a.slot == Slot(path: PhysicalPath("1-1.3")!, label: "A1"))
        #expect(a.port == first["tty0"])
        #expect(a.usbDevnode == first["usb"])

        // Plugged in while watching: reported from the monitor, as its own slot.
        let second = UMockdevTestbed.fields(try tb.send("board 1-1.4 download"))
        guard case .download(let b)? = await log.next() else { Issue.record("no report for 1-1.4"); return }
        #expect(b.slot.label == "A2")
        #expect(b.port == second["tty0"])
        #expect(b.port != a.port)

        try tb.send("remove 1-1.3")
        let gone = await log.next()
        #expect(gone == .gone(Slot(path: PhysicalPath("1-1.3")!, label: "A1")))
    }

    @Test func boardResettingBetweenShapesStaysTheSameSlot() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let log = try await watch()
        defer { Task { await log.stop() } }

        try tb.send("board 1-1.3 download")
        #expect(await log.next()?.kind == "download")
        try tb.send("remove 1-1.3")
        // Running firmware: ttys numbered out of interface order on purpose.
        let ports = UMockdevTestbed.fields(try tb.send("board 1-1.3 running ttys=6,2,4"))
        #expect(await log.next() == .gone(Slot(path: PhysicalPath("1-1.3")!, label: "A1")))
        guard case .running(let running)? = await log.next() else { Issue.record("no running report"); return }
        #expect(running.slot.label == "A1")
        #expect(running.complete)
        #expect(running.ports[.socLog] == ports["tty2"])
        #expect(running.ports[.trace] == ports["tty4"])
        #expect(running.ports[.vuart] == ports["tty6"])
        let number = { (node: String?) in Int(node?.drop { !$0.isNumber } ?? "") ?? -1 }
        #expect(number(ports["tty6"]) < number(ports["tty2"]), "x.6 got the lowest tty number: tty order ≠ interface order")

        try tb.send("remove 1-1.3")
        try tb.send("board 1-1.3 download")
        #expect(await log.next()?.kind == "gone")
        let back = await log.next()
        #expect(back?.kind == "download")
        #expect(back?.slot.label == "A1")
    }

    @Test func runningBoardWithALateVUARTIsReportedOnlyWhenComplete() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let log = try await watch(debounce: .seconds(30))
        defer { Task { await log.stop() } }

        try tb.send("board 1-1.3 running ttys=2,4")
        // A marker board plugged in afterwards: its report proves the half board's events
        // were processed (events arrive in order) without being reported.
        try tb.send("board 1-1.4 download")
        let marker = await log.next()
        #expect(marker?.slot.label == "A2")
        let late = try tb.send("tty 1-1.3 6")
        guard case .running(let board)? = await log.next() else { Issue.record("no running report"); return }
        #expect(board.slot.label == "A1")
        #expect(board.complete)
        #expect(board.ports[.vuart] == late)
    }

    @Test func halfBoardIsReportedIncompleteAfterTheDeadline() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let log = try await watch(debounce: .milliseconds(300))
        defer { Task { await log.stop() } }
        try tb.send("board 1-1.3 running ttys=2")
        guard case .running(let board)? = await log.next() else { Issue.record("no report"); return }
        #expect(!board.complete)
        #expect(Set(board.ports.keys) == [.socLog])
    }

    @Test func unrelatedSerialAdapterIsIgnored() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("adapter 1-1.2")
        let log = try await watch()
        defer { Task { await log.stop() } }
        try tb.send("adapter 1-1.7")
        try tb.send("remove 1-1.2")
        try tb.send("board 1-1.4 download")
        let only = await log.next()
        #expect(only?.slot.label == "A2", "the adapters made no report: \(String(describing: only))")
    }

    @Test(arguments: [false, true])
    func singlePortRunningIDIsSettledByItsInterfaceCount(acceptingSinglePort: Bool) async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        var identity = BoardUSBIdentity.air780e
        identity.singlePortRunningIsDownload = acceptingSinglePort
        // A deadline far beyond log.next's: the report must come from sysfs bNumInterfaces (2),
        // not from the debounce.
        let settings = WatchSettings(identity: identity, labels: labels, debounce: .seconds(60))
        let log = ReportLog()
        await log.start(try SlotWatcher.reports(settings))
        defer { Task { await log.stop() } }
        let ports = UMockdevTestbed.fields(try tb.send("board 1-1.3 single-running"))
        let report = await log.next()
        if acceptingSinglePort {
            guard case .download(let board)? = report else { Issue.record("not download: \(String(describing: report))"); return }
            #expect(board.port == ports["tty0"])
        } else {
            guard case .unknownShape(let odd)? = report else { Issue.record("not unknown: \(String(describing: report))"); return }
            #expect(odd.slot.label == "A1")
            #expect(odd.message.contains("1-1.3") && odd.message.contains("19d1:0001")
                    && odd.message.contains("\(ports["tty0"]!) on interface 0") && odd.message.contains("2 USB interfaces"))
        }
    }

    @Test func presentListsBoardsWithoutWaiting() async throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("board 1-1.3 running")
        try tb.send("board 1-1.4 running ttys=2,4")
        try tb.send("adapter 1-1.5")
        let present = try SlotWatcher.present(WatchSettings(labels: labels))
        #expect(present.map(\.slot.label) == ["A1", "A2"])
        #expect(present.map(\.isComplete) == [true, false])
    }
}
}
