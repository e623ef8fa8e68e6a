import CLibUSB
import Dispatch
import Foundation

/// A `ByteLink` over the bulk endpoints of a CDC data interface, through libusb (usbfs). It
/// needs no tty and no cdc_acm driver, so it is the default in download mode.
///
/// Each direction is a byte stream: libusb splits a large transfer into 16 KiB URBs, and a
/// read may return less than a protocol frame; callers assemble frames (as they do on a tty).
/// Blocking libusb calls run on private dispatch queues, never on the Swift concurrency pool.
// @unchecked: the libusb handle is used only on `readQueue`/`writeQueue` (libusb allows
// concurrent transfers on one handle); `state` is guarded by `lock`.
public final class USBLink: ByteLink, @unchecked Sendable {
    /// The physical path it was opened at, e.g. `usb 1-1.3`.
    public let name: String
    private let device: USBDeviceHandle
    private let endpoints: USBBulkEndpoints
    private let writeTimeout: Duration
    private let readQueue: DispatchQueue
    private let writeQueue: DispatchQueue
    private let lock = NSLock()
    private var closed = false
    /// Bytes read from the device beyond what the caller asked for.
    private var pending: [UInt8] = []

    /// Size of one bulk IN request: a multiple of every bulk max-packet size, so the device
    /// can never overflow it.
    static let readChunk = 16 * 1024

    private init(name: String, device: USBDeviceHandle, endpoints: USBBulkEndpoints, writeTimeout: Duration) {
        self.name = name
        self.device = device
        self.endpoints = endpoints
        self.writeTimeout = writeTimeout
        self.readQueue = DispatchQueue(label: "link.usb.read.\(name)")
        self.writeQueue = DispatchQueue(label: "link.usb.write.\(name)")
    }

    /// Opens the USB device at physical path `path` (sysfs name, `1-1.3`) — or at its usbfs node
    /// (`/dev/bus/usb/001/004`, what the hotplug watcher reports) —, finds the CDC data
    /// interface's bulk endpoints, detaches the kernel driver (cdc_acm) and claims it, and
    /// asserts DTR on its comm interface.
    ///
    /// - Parameters:
    ///   - commInterface: for a composite device, which CDC function to use, by the number of
    ///     its comm interface (2 for x.2); nil takes the first CDC data interface.
    ///   - writeTimeout: how long one bulk OUT may take before the write fails.
    public static func open(path: String, commInterface: Int? = nil,
                            writeTimeout: Duration = .seconds(5)) async throws -> USBLink {
        let name = "usb \(path)"
        let queue = DispatchQueue(label: "link.usb.open.\(path)")
        let (handle, endpoints) = try await withCheckedThrowingContinuation {
            (c: CheckedContinuation<(USBDeviceHandle, USBBulkEndpoints), Error>) in
            queue.async {
                c.resume(with: Result {
                    let handle = try USBDeviceHandle(path: path, name: name)
                    do {
                        let endpoints = try handle.claimCDCData(commInterface: commInterface)
                        return (handle, endpoints)
                    } catch {
                        handle.shutdown(claimed: nil)
                        throw error
                    }
                })
            }
        }
        return USBLink(name: name, device: handle, endpoints: endpoints, writeTimeout: writeTimeout)
    }

    private var isClosed: Bool { lock.withLock { closed } }

    public func write(_ bytes: [UInt8]) async throws {
        guard !isClosed else { throw LinkError.closed(link: name) }
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            writeQueue.async { [self] in
                c.resume(with: Result { try self.writeAll(bytes) })
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var data = bytes  // libusb takes a mutable buffer even for OUT
        var done = 0
        let deadline = ContinuousClock.now + writeTimeout
        while done < data.count {
            if isClosed { throw LinkError.closed(link: name) }
            let left = deadline - .now
            guard left > .zero else { throw LinkError.io(link: name, reason: "bulk OUT stalled") }
            var sent: Int32 = 0
            let rc = data.withUnsafeMutableBufferPointer { buffer in
                libusb_bulk_transfer(device.raw, endpoints.outAddress, buffer.baseAddress! + done,
                                     Int32(buffer.count - done), &sent, USBLink.timeoutMilliseconds(left))
            }
            done += Int(sent)
            // A timeout may have moved part of the data; the loop re-checks the deadline.
            if rc == 0 || rc == LIBUSB_ERROR_TIMEOUT.rawValue { continue }
            throw error(rc)
        }
    }

    public func read(maxCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        guard !isClosed else { throw LinkError.closed(link: name) }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8], Error>) in
            readQueue.async { [self] in
                c.resume(with: Result { try self.readSome(maxCount: max(1, maxCount), deadline: deadline) })
            }
        }
    }

    private func readSome(maxCount: Int, deadline: ContinuousClock.Instant) throws -> [UInt8] {
        if let early = takePending(maxCount) { return early }
        var buffer = [UInt8](repeating: 0, count: USBLink.readChunk)
        while true {
            if isClosed { throw LinkError.closed(link: name) }
            let left = deadline - .now
            guard left > .zero else { throw LinkError.timeout(link: name) }
            var got: Int32 = 0
            let rc = buffer.withUnsafeMutableBufferPointer { b in
                libusb_bulk_transfer(device.raw, endpoints.inAddress, b.baseAddress!, Int32(b.count), &got,
                                     USBLink.timeoutMilliseconds(min(left, .milliseconds(200))))
            }
            if got > 0 {
                let data = Array(buffer[0..<Int(got)])
                if data.count <= maxCount { return data }
                lock.withLock { pending += data[maxCount...] }
                return Array(data[..<maxCount])
            }
            if rc == 0 || rc == LIBUSB_ERROR_TIMEOUT.rawValue { continue }  // zero-length packet / slice
            throw error(rc)
        }
    }

    private func takePending(_ maxCount: Int) -> [UInt8]? {
        lock.withLock {
            guard !pending.isEmpty else { return nil }
            let n = min(maxCount, pending.count)
            let out = Array(pending[..<n])
            pending.removeFirst(n)
            return out
        }
    }

    private func error(_ rc: Int32) -> LinkError {
        switch rc {
        case LIBUSB_ERROR_NO_DEVICE.rawValue:
            return .unplugged(link: name)
        default:
            return .io(link: name, reason: String(cString: libusb_error_name(rc)))
        }
    }

    /// libusb treats 0 as "no timeout": never pass it.
    static func timeoutMilliseconds(_ d: Duration) -> UInt32 {
        let (s, atto) = d.components
        let ms = s * 1000 + (atto + 999_999_999_999_999) / 1_000_000_000_000_000
        return UInt32(clamping: max(1, ms))
    }

    /// Releases the interfaces, gives them back to their kernel driver and closes the device.
    /// Waits for a transfer in flight to end (bounded by its deadline, or at most 200 ms).
    public func close() async {
        let wasOpen = lock.withLock {
            defer { closed = true }
            return !closed
        }
        guard wasOpen else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            readQueue.async {
                self.writeQueue.async {
                    self.device.shutdown(claimed: self.endpoints)
                    c.resume()
                }
            }
        }
    }
}

/// The bulk pair of the claimed interface, plus what close must undo.
struct USBBulkEndpoints: Sendable {
    let dataInterface: Int32
    let commInterface: Int32?
    let inAddress: UInt8
    let outAddress: UInt8
    /// Interfaces whose kernel driver was detached at open.
    let detached: [Int32]
}

/// One open libusb context + device handle.
// @unchecked: created and shut down on one queue; transfers from the link's two queues
// (libusb handles are thread-safe for transfers).
final class USBDeviceHandle: @unchecked Sendable {
    let context: OpaquePointer
    let raw: OpaquePointer
    let name: String
    private var isShut = false

    /// Opens the device at sysfs path `path` with a fresh context (a fresh context enumerates
    /// the bus now, so a board that just re-enumerated is seen).
    init(path: String, name: String) throws {
        var ctx: OpaquePointer?
        let rc = libusb_init(&ctx)
        guard rc == 0, let ctx else {
            throw LinkError.io(link: name, reason: "libusb_init: \(String(cString: libusb_error_name(rc)))")
        }
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(ctx, &list)
        defer { if let list { libusb_free_device_list(list, 1) } }
        var found: OpaquePointer?
        let node = USBDeviceHandle.busAndAddress(devnode: path)
        for i in 0..<max(0, count) {
            guard let dev = list?[i] else { continue }
            if let node {
                if libusb_get_bus_number(dev) == node.bus && libusb_get_device_address(dev) == node.address { found = dev; break }
            } else if USBDeviceHandle.physicalPath(of: dev) == path {
                found = dev; break
            }
        }
        guard let found else {
            libusb_exit(ctx)
            throw LinkError.unplugged(link: name)
        }
        var handle: OpaquePointer?
        let orc = libusb_open(found, &handle)
        guard orc == 0, let handle else {
            libusb_exit(ctx)
            let reason = orc == LIBUSB_ERROR_ACCESS.rawValue
                ? "permission denied on the usbfs node (run `provision setup-udev`, or see `provision doctor`)"
                : "cannot open: \(String(cString: libusb_error_name(orc)))"
            throw orc == LIBUSB_ERROR_NO_DEVICE.rawValue ? LinkError.unplugged(link: name) : LinkError.io(link: name, reason: reason)
        }
        context = ctx
        raw = handle
        self.name = name
    }

    /// Bus number and device address of a usbfs node, `/dev/bus/usb/001/004` → (1, 4); nil for
    /// anything else (a physical path such as `1-1.3`).
    static func busAndAddress(devnode: String) -> (bus: UInt8, address: UInt8)? {
        let prefix = "/dev/bus/usb/"
        guard devnode.hasPrefix(prefix) else { return nil }
        let parts = devnode.dropFirst(prefix.count).split(separator: "/")
        guard parts.count == 2, let bus = UInt8(parts[0]), let address = UInt8(parts[1]) else { return nil }
        return (bus, address)
    }

    /// `<bus>-<port>.<port>…`, the sysfs device name.
    static func physicalPath(of device: OpaquePointer) -> String? {
        var ports = [UInt8](repeating: 0, count: 8)
        let n = libusb_get_port_numbers(device, &ports, Int32(ports.count))
        guard n > 0 else { return nil }
        return "\(libusb_get_bus_number(device))-" + ports[0..<Int(n)].map { String($0) }.joined(separator: ".")
    }

    /// Finds the CDC data interface (class 0x0A) with a bulk IN and OUT endpoint — the one
    /// after `commInterface` when given —, detaches kernel drivers from it and its comm
    /// interface, claims both, and asserts DTR.
    func claimCDCData(commInterface: Int?) throws -> USBBulkEndpoints {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        let rc = libusb_get_active_config_descriptor(libusb_get_device(raw), &config)
        guard rc == 0, let config else {
            throw LinkError.io(link: name, reason: "no active configuration: \(String(cString: libusb_error_name(rc)))")
        }
        defer { libusb_free_config_descriptor(config) }

        struct Candidate { let number: Int32; let cls: UInt8; let inEP: UInt8; let outEP: UInt8 }
        var candidates: [Candidate] = []
        var classes: [Int32: UInt8] = [:]
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let iface = config.pointee.interface[i]
            guard iface.num_altsetting > 0 else { continue }
            let alt = iface.altsetting[0]
            classes[Int32(alt.bInterfaceNumber)] = alt.bInterfaceClass
            var inEP: UInt8?, outEP: UInt8?
            for e in 0..<Int(alt.bNumEndpoints) {
                let ep = alt.endpoint[e]
                guard ep.bmAttributes & 0x03 == UInt8(LIBUSB_TRANSFER_TYPE_BULK.rawValue) else { continue }
                if ep.bEndpointAddress & 0x80 != 0 { inEP = inEP ?? ep.bEndpointAddress } else { outEP = outEP ?? ep.bEndpointAddress }
            }
            if let inEP, let outEP {
                candidates.append(Candidate(number: Int32(alt.bInterfaceNumber), cls: alt.bInterfaceClass, inEP: inEP, outEP: outEP))
            }
        }
        let cdcData = UInt8(LIBUSB_CLASS_DATA.rawValue)
        let chosen: Candidate?
        if let commInterface {
            chosen = candidates.first { $0.number == Int32(commInterface + 1) }
                ?? candidates.first { $0.number == Int32(commInterface) }
        } else {
            chosen = candidates.first { $0.cls == cdcData } ?? candidates.first
        }
        guard let chosen else {
            let which = commInterface.map { " for interface \($0)" } ?? ""
            throw LinkError.io(link: name, reason: "no bulk IN/OUT interface\(which) in the USB descriptors")
        }
        let comm: Int32? = classes[chosen.number - 1] == UInt8(LIBUSB_CLASS_COMM.rawValue) ? chosen.number - 1 : nil

        var detached: [Int32] = []
        var claimed: [Int32] = []
        do {
            for number in [comm, chosen.number].compactMap({ $0 }) {
                if libusb_kernel_driver_active(raw, number) == 1 {
                    let d = libusb_detach_kernel_driver(raw, number)
                    guard d == 0 || d == LIBUSB_ERROR_NOT_FOUND.rawValue else { throw claimError(d, number, "detach the kernel driver from") }
                    if d == 0 { detached.append(number) }
                }
                let c = libusb_claim_interface(raw, number)
                // The comm interface is only needed for DTR; another owner of it is not fatal.
                guard c == 0 || number != chosen.number else { throw claimError(c, number, "claim") }
                if c == 0 { claimed.append(number) }
            }
        } catch {
            for number in claimed { libusb_release_interface(raw, number) }
            for number in detached { libusb_attach_kernel_driver(raw, number) }
            throw error
        }
        if let comm {
            // CDC SET_CONTROL_LINE_STATE, DTR on: the firmware may gate output on it (spec §1.4).
            _ = libusb_control_transfer(raw, 0x21, 0x22, 0x0001, UInt16(comm), nil, 0, 500)
        }
        return USBBulkEndpoints(dataInterface: chosen.number, commInterface: claimed.contains(comm ?? -1) ? comm : nil,
                                inAddress: chosen.inEP, outAddress: chosen.outEP, detached: detached)
    }

    private func claimError(_ rc: Int32, _ number: Int32, _ verb: String) -> LinkError {
        if rc == LIBUSB_ERROR_NO_DEVICE.rawValue { return .unplugged(link: name) }
        let hint = rc == LIBUSB_ERROR_BUSY.rawValue ? " (another program holds it)" : ""
        return .io(link: name, reason: "cannot \(verb) interface \(number): \(String(cString: libusb_error_name(rc)))\(hint)")
    }

    /// Releases what `claimed` says, re-attaches detached kernel drivers (comm first, so
    /// cdc_acm binds the pair again), closes the handle and the context. Idempotent.
    func shutdown(claimed: USBBulkEndpoints?) {
        guard !isShut else { return }
        isShut = true
        if let claimed {
            libusb_release_interface(raw, claimed.dataInterface)
            if let comm = claimed.commInterface { libusb_release_interface(raw, comm) }
            for number in claimed.detached.sorted() { libusb_attach_kernel_driver(raw, number) }
        }
        libusb_close(raw)
        libusb_exit(context)
    }
}

extension USBLink {
    /// The libusb runtime's version, e.g. `1.0.26.11724`.
    public static var libraryVersion: String {
        guard let v = libusb_get_version() else { return "unknown" }
        let version = v.pointee
        return "\(version.major).\(version.minor).\(version.micro).\(version.nano)"
    }

    /// Whether libusb can start here (it needs /dev/bus/usb or udev); the reason when not.
    public static func probe() -> String? {
        var ctx: OpaquePointer?
        let rc = libusb_init(&ctx)
        guard rc == 0, let ctx else { return String(cString: libusb_error_name(rc)) }
        libusb_exit(ctx)
        return nil
    }
}
