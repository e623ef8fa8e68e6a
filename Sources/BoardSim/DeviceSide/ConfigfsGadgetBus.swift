#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Links
import Vocabulary

/// A `BoardBus` made of Linux USB gadgets (configfs + libcomposite) on one UDC — `dummy_hcd`
/// in the kernel tier, so the host side of the same kernel sees a real USB device: real
/// enumeration, real `cdc_acm` ttys, real uevents, a real usbfs node for libusb.
///
/// Two gadgets are made once, on first use, and bound to the UDC in turn:
/// - download mode, `17D1:0001`: one CDC-ACM function (the board serves on `/dev/ttyGS<n>`),
///   or (`.ffs`) one vendor-class FunctionFS interface with a bulk OUT + bulk IN pair, so the
///   host flashes it through libusb and the kernel's usbfs;
/// - running mode, `19D1:0001`: a zero-endpoint FunctionFS pad on interfaces 0/1 (where the
///   real module has RNDIS: `dummy_hcd` has too few endpoints for RNDIS plus three ACM
///   functions, linux-test-infra §6), then three CDC-ACM functions on interfaces 2/3, 4/5, 6/7
///   (luatos-formats §5.2): x.2 the SoC log, x.4 the trace, x.6 the virtual UART.
///
/// `detach()` unbinds the UDC (the host sees the device leave). `teardown()` removes both
/// gadgets; call it before the process ends, or the UDC and the `ttyGS` lines stay taken.
public actor ConfigfsGadgetBus: BoardBus {
    /// How the download-mode board offers its one port.
    public enum DownloadFunction: String, Sendable, CaseIterable {
        /// CDC-ACM: the host's `cdc_acm` makes `/dev/ttyACM<n>` (spec ec618 §1.1).
        case acm
        /// A vendor bulk interface served from user space through FunctionFS (host: libusb).
        case ffs
    }

    public struct Configuration: Sendable {
        /// The UDC to bind to (`/sys/class/udc/<name>`), e.g. `dummy_udc.0`.
        public var udc: String
        /// Makes the gadget and FunctionFS instance names unique (one per simulated board).
        public var tag: String
        public var downloadFunction: DownloadFunction = .acm
        public var downloadID = EC618USB.download
        public var runningID = EC618USB.running
        /// Every Air780E reports this serial (luatos-formats §5.1): slots never key on it.
        public var serialNumber = "000000000001"
        public var configfsRoot = "/sys/kernel/config/usb_gadget"
        /// Where the FunctionFS instances are mounted (created if missing).
        public var functionfsRoot = "/dev/ffs-provision"

        public init(udc: String, tag: String) {
            self.udc = udc
            self.tag = tag
        }
    }

    public let configuration: Configuration
    private let onShape: @Sendable (BusShape) -> Void
    private var downloadGadget: Gadget?
    private var runningGadget: Gadget?
    private var bound: Gadget?
    private var links: [any ByteLink] = []

    public init(_ configuration: Configuration, onShape: @escaping @Sendable (BusShape) -> Void = { _ in }) {
        self.configuration = configuration
        self.onShape = onShape
    }

    /// Whether this kernel can host gadgets: configfs mounted with libcomposite, and the UDC exists.
    /// Returns the reason when not.
    public nonisolated static func unavailableReason(udc: String, configfsRoot: String = "/sys/kernel/config/usb_gadget") -> String? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: configfsRoot, isDirectory: &isDir), isDir.boolValue else {
            return "\(configfsRoot) does not exist (mount configfs on /sys/kernel/config and load libcomposite)"
        }
        guard FileManager.default.fileExists(atPath: "/sys/class/udc/\(udc)") else {
            let present = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/udc"))?.sorted() ?? []
            return "no USB device controller \(udc) (present: \(present.isEmpty ? "none" : present.joined(separator: ", ")); load dummy_hcd?)"
        }
        return nil
    }

    /// The UDCs of this machine, sorted (`dummy_udc.0`, `dummy_udc.1`, …).
    public nonisolated static func controllers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/udc")) ?? []).sorted()
    }

    // MARK: - BoardBus

    public func presentDownloadMode() async throws -> any ByteLink {
        await detachQuietly()
        let gadget = try downloadGadget ?? makeDownloadGadget()
        downloadGadget = gadget
        let link: any ByteLink
        let port: String
        switch configuration.downloadFunction {
        case .acm:
            // Opened before the bind, so nothing the host sends first is lost.
            let tty = gadget.ttys[0]
            link = try Self.openGadgetTTY(tty)
            port = tty
        case .ffs:
            let ffs = gadget.functionfs[0]
            link = try FunctionFSBulkLink.open(mount: ffs.mountPoint, name: "ffs \(ffs.instance) (board side)")
            port = "\(ffs.mountPoint)/ep1+ep2"
        }
        try await bind(gadget, serving: [link])
        onShape(.download(port: port))
        return link
    }

    /// Binds `gadget` to the UDC with `links` open on its functions; on failure nothing stays bound or open.
    private func bind(_ gadget: Gadget, serving links: [any ByteLink]) async throws {
        self.links = links
        do {
            try gadget.bind(to: configuration.udc)
        } catch {
            await detachQuietly()
            throw error
        }
        bound = gadget
    }

    public func presentRunningMode() async throws -> RunningPorts {
        await detachQuietly()
        let gadget = try runningGadget ?? makeRunningGadget()
        runningGadget = gadget
        let ports = try gadget.ttys.map { try Self.openGadgetTTY($0) }
        try await bind(gadget, serving: ports)
        onShape(.running(socLog: gadget.ttys[0], trace: gadget.ttys[1], vuart: gadget.ttys[2]))
        return RunningPorts(socLog: ports[0], trace: ports[1], vuart: ports[2])
    }

    public func detach() async {
        let wasBound = bound != nil || !links.isEmpty
        await detachQuietly()
        if wasBound { onShape(.detached) }
    }

    /// Unbinds and removes both gadgets (and unmounts their FunctionFS instances). Idempotent.
    public func teardown() async {
        await detachQuietly()
        for gadget in [downloadGadget, runningGadget].compactMap({ $0 }) { gadget.remove() }
        downloadGadget = nil
        runningGadget = nil
    }

    private func detachQuietly() async {
        // Unbind first: the device side's pending reads and writes end (ESHUTDOWN, tty hangup)
        // and the host sees the board leave at once, as when a real board resets.
        bound?.unbind()
        bound = nil
        for link in links { await link.close() }
        links = []
    }

    // MARK: - The two shapes

    private func makeDownloadGadget() throws -> Gadget {
        let c = configuration
        let gadget = try Gadget.create(root: c.configfsRoot, name: "provision-\(c.tag)-download",
                                       vendor: c.downloadID.vendor, product: c.downloadID.product,
                                       manufacturer: "provision sim", productName: "EC618 download (simulated)",
                                       serial: c.serialNumber)
        do {
            switch c.downloadFunction {
            case .acm:
                try gadget.addACM(instance: "download")
            case .ffs:
                try gadget.addFunctionFS(instance: "\(c.tag)dl", mountRoot: c.functionfsRoot,
                                         descriptors: FunctionFSDescriptors.vendorBulk(),
                                         strings: FunctionFSDescriptors.noStrings())
            }
        } catch {
            gadget.remove()
            throw error
        }
        return gadget
    }

    private func makeRunningGadget() throws -> Gadget {
        let c = configuration
        let gadget = try Gadget.create(root: c.configfsRoot, name: "provision-\(c.tag)-running",
                                       vendor: c.runningID.vendor, product: c.runningID.product,
                                       manufacturer: "AirM2M", productName: "AirM2M Compo", serial: c.serialNumber)
        do {
            // Link order is interface order: the pad takes 0/1, the ACM pairs 2/3, 4/5, 6/7.
            try gadget.addFunctionFS(instance: "\(c.tag)pad", mountRoot: c.functionfsRoot,
                                     descriptors: FunctionFSDescriptors.zeroEndpointPad(interfaces: 2),
                                     strings: FunctionFSDescriptors.noStrings())
            for role in ["soclog", "trace", "vuart"] { try gadget.addACM(instance: role) }
        } catch {
            gadget.remove()
            throw error
        }
        return gadget
    }

    /// The device side of an ACM function, raw (linux-test-infra §3: a cooked `ttyGS` mangles
    /// line endings).
    private static func openGadgetTTY(_ path: String) throws -> FileDescriptorLink {
        try SerialLink.open(path: path, baud: 921_600)
    }
}
