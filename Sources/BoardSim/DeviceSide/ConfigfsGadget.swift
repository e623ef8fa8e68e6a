#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Links

/// One configfs gadget: its folder, its functions in link order, and how to bind it.
/// Only the bus actor touches it.
final class Gadget: @unchecked Sendable {
    struct FunctionFSInstance {
        let instance: String
        let mountPoint: String
        /// ep0, held open for the gadget's life: closing it would unbind the whole gadget.
        let ep0: Int32
    }

    let path: String
    /// Function folders (under `functions/`), in the order they were linked into `c.1`.
    private(set) var functions: [String] = []
    /// `/dev/ttyGS<n>` of each ACM function, in link order.
    private(set) var ttys: [String] = []
    private(set) var functionfs: [FunctionFSInstance] = []

    private init(path: String) { self.path = path }

    private var config: String { path + "/configs/c.1" }

    static func create(root: String, name: String, vendor: UInt16, product: UInt16,
                       manufacturer: String, productName: String, serial: String) throws -> Gadget {
        let path = root + "/" + name
        if FileManager.default.fileExists(atPath: path) {
            // Left over by a process that died: take it down and start clean.
            Gadget(path: path).removeLeftover()
        }
        let g = Gadget(path: path)
        try Sysfs.mkdir(path)
        do {
            try Sysfs.write(path + "/idVendor", Sysfs.hex(vendor))
            try Sysfs.write(path + "/idProduct", Sysfs.hex(product))
            try Sysfs.write(path + "/bcdDevice", "0x0200")
            try Sysfs.write(path + "/bcdUSB", "0x0200")
            // Composite with interface association descriptors (EF/02/01), as the real module.
            try Sysfs.write(path + "/bDeviceClass", "0xEF")
            try Sysfs.write(path + "/bDeviceSubClass", "0x02")
            try Sysfs.write(path + "/bDeviceProtocol", "0x01")
            try Sysfs.mkdir(path + "/strings/0x409")
            try Sysfs.write(path + "/strings/0x409/manufacturer", manufacturer)
            try Sysfs.write(path + "/strings/0x409/product", productName)
            try Sysfs.write(path + "/strings/0x409/serialnumber", serial)
            try Sysfs.mkdir(g.config)
            try Sysfs.write(g.config + "/MaxPower", "500")
            try Sysfs.mkdir(g.config + "/strings/0x409")
            try Sysfs.write(g.config + "/strings/0x409/configuration", "c.1")
        } catch {
            g.remove()
            throw error
        }
        return g
    }

    func addACM(instance: String) throws {
        let function = "acm.\(instance)"
        try Sysfs.mkdir(path + "/functions/" + function)
        functions.append(function)
        guard let number = Int(try Sysfs.read(path + "/functions/\(function)/port_num")) else {
            throw GadgetError("\(path)/functions/\(function)/port_num is not a number")
        }
        try link(function)
        ttys.append("/dev/ttyGS\(number)")
    }

    func addFunctionFS(instance: String, mountRoot: String, descriptors: [UInt8], strings: [UInt8]) throws {
        let function = "ffs.\(instance)"
        try Sysfs.mkdir(path + "/functions/" + function)
        functions.append(function)
        let mountPoint = mountRoot + "/" + instance
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        if Glibc.mount(instance, mountPoint, "functionfs", 0, nil) != 0 {
            throw GadgetError("mount -t functionfs \(instance) \(mountPoint): \(Sysfs.lastError)")
        }
        let ep0 = Glibc.open(mountPoint + "/ep0", O_RDWR)
        guard ep0 >= 0 else {
            let reason = Sysfs.lastError
            Glibc.umount(mountPoint)
            throw GadgetError("\(mountPoint)/ep0: \(reason)")
        }
        functionfs.append(FunctionFSInstance(instance: instance, mountPoint: mountPoint, ep0: ep0))
        for (what, blob) in [("descriptors", descriptors), ("strings", strings)] {
            let n = blob.withUnsafeBytes { Glibc.write(ep0, $0.baseAddress!, $0.count) }
            guard n == blob.count else {
                throw GadgetError("writing the FunctionFS \(what) to \(mountPoint)/ep0: \(n < 0 ? Sysfs.lastError : "short write")")
            }
        }
        try link(function)
    }

    private func link(_ function: String) throws {
        if Glibc.symlink(path + "/functions/" + function, config + "/" + function) != 0 {
            throw GadgetError("ln -s functions/\(function) \(config): \(Sysfs.lastError)")
        }
    }

    /// `echo UDC > UDC`. A controller still held by another gadget (a previous process that
    /// died) is a clear error rather than a silent takeover.
    func bind(to udc: String) throws {
        do {
            try Sysfs.write(path + "/UDC", udc)
        } catch {
            let holders = Gadget.gadgets(boundTo: udc, root: (path as NSString).deletingLastPathComponent)
            throw GadgetError("binding \((path as NSString).lastPathComponent) to \(udc): \(error)"
                + (holders.isEmpty ? "" : " (already bound: \(holders.joined(separator: ", ")))"))
        }
    }

    /// `echo "" > UDC`; errors ignored (already unbound).
    func unbind() {
        if (try? Sysfs.read(path + "/UDC"))?.isEmpty == false {
            try? Sysfs.write(path + "/UDC", "\n")
        }
    }

    /// Takes the gadget down completely: unbind, unlink and remove functions, unmount
    /// FunctionFS, remove the folders (configfs wants children removed first).
    func remove() {
        unbind()
        for f in functions.reversed() { Glibc.unlink(config + "/" + f) }
        for ffs in functionfs {
            Glibc.close(ffs.ep0)
            Glibc.umount(ffs.mountPoint)
            Glibc.rmdir(ffs.mountPoint)
        }
        for f in functions.reversed() { Glibc.rmdir(path + "/functions/" + f) }
        Glibc.rmdir(config + "/strings/0x409")
        Glibc.rmdir(config)
        Glibc.rmdir(path + "/strings/0x409")
        Glibc.rmdir(path)
        functions = []
        functionfs = []
        ttys = []
    }

    /// Removes a gadget this object did not make (found on disk).
    private func removeLeftover() {
        unbind()
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: config)) ?? [] {
            let p = config + "/" + entry
            if (try? fm.destinationOfSymbolicLink(atPath: p)) != nil { Glibc.unlink(p) }
        }
        for f in (try? fm.contentsOfDirectory(atPath: path + "/functions")) ?? [] {
            if f.hasPrefix("ffs.") {
                let instance = String(f.dropFirst(4))
                // Unmount wherever it is mounted (a leftover process may hold ep0: it must die first).
                for line in ((try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? "").split(separator: "\n") {
                    let fields = line.split(separator: " ")
                    if fields.count > 2, fields[0] == instance, fields[2] == "functionfs" {
                        Glibc.umount2(String(fields[1]), Int32(MNT_DETACH))
                    }
                }
            }
            Glibc.rmdir(path + "/functions/" + f)
        }
        Glibc.rmdir(config + "/strings/0x409")
        Glibc.rmdir(config)
        Glibc.rmdir(path + "/strings/0x409")
        Glibc.rmdir(path)
    }

    /// The gadgets under `root` bound to `udc`.
    static func gadgets(boundTo udc: String, root: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter {
            (try? Sysfs.read(root + "/" + $0 + "/UDC")) == udc
        }.sorted()
    }
}

/// A gadget could not be made or bound.
public struct GadgetError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "USB gadget: \(reason)" }
}

/// Plain file access for configfs/sysfs: one `write(2)` per value, no temporary files (configfs
/// attributes cannot be replaced by rename, as FileManager's atomic writes would).
enum Sysfs {
    static var lastError: String { String(cString: strerror(errno)) }

    static func hex(_ v: UInt16) -> String { "0x" + String(format: "%04x", v) }

    static func mkdir(_ path: String) throws {
        if Glibc.mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw GadgetError("mkdir \(path): \(lastError)")
        }
    }

    static func write(_ path: String, _ value: String) throws {
        let fd = Glibc.open(path, O_WRONLY)
        guard fd >= 0 else { throw GadgetError("\(path): \(lastError)") }
        defer { Glibc.close(fd) }
        let bytes = Array(value.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        guard n == bytes.count else { throw GadgetError("writing '\(value.trimmingCharacters(in: .whitespacesAndNewlines))' to \(path): \(n < 0 ? lastError : "short write")") }
    }

    static func read(_ path: String) throws -> String {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw GadgetError("\(path): \(lastError)") }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
        guard n >= 0 else { throw GadgetError("\(path): \(lastError)") }
        return String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
