import Foundation
import LittleFS
import Testing

/// The reference littlefs (littlefs-python, wrapping the C implementation) run through
/// `littlefs_oracle.py` next to this file.
public enum Oracle {
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("littlefs_oracle.py").path

    public static let skipReason: Comment = "littlefs-python is not importable here (pip install littlefs-python)"
    public static let available: Bool = (try? run(["check"]).status) == 0

    public struct Dump {
        public var dirs: [String]
        public var files: [String: [UInt8]]
        public var probe: String
        /// The reference's first write appended its commit in place (it trusted the forward CRC).
        public var appended: Bool
    }

    public struct Failure: Error, CustomStringConvertible { public let description: String }

    /// Mounts `image` with the reference configured as `geometry`, as a driver of `driverVersion`
    /// (default: the geometry's own disk version).
    public static func dump(_ image: [UInt8], geometry: LittleFSGeometry, driverVersion: UInt32? = nil) throws -> Dump {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(image).write(to: URL(fileURLWithPath: dir + "/image.bin"))
        var driver = geometry
        driver.diskVersion = driverVersion ?? geometry.diskVersion
        try geometryJSON(driver).write(to: URL(fileURLWithPath: dir + "/geom.json"))
        let r = try run(["dump", dir + "/image.bin", dir + "/geom.json"])
        guard r.status == 0 else { throw Failure(description: "oracle dump failed: \(r.stderr)") }
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        let files = (json["files"] as? [String: String] ?? [:]).mapValues(hexBytes)
        return Dump(dirs: json["dirs"] as? [String] ?? [], files: files, probe: json["probe"] as? String ?? "",
                    appended: json["appended"] as? Bool ?? false)
    }

    public static func make(geometry: LittleFSGeometry, dirs: [String] = [], files: [(String, [UInt8])],
                     remove: [String] = []) throws -> [UInt8] {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try geometryJSON(geometry).write(to: URL(fileURLWithPath: dir + "/geom.json"))
        // Files are written in the given order (a JSON object keeps it in Python 3.7+).
        let fileList = files.map { "\(quoted($0.0)): \"\(hex($0.1))\"" }.joined(separator: ", ")
        let spec = "{\"dirs\": [\(dirs.map(quoted).joined(separator: ", "))], \"files\": {\(fileList)}, "
            + "\"remove\": [\(remove.map(quoted).joined(separator: ", "))]}"
        try Data(spec.utf8).write(to: URL(fileURLWithPath: dir + "/spec.json"))
        let r = try run(["make", dir + "/image.bin", dir + "/geom.json", dir + "/spec.json"])
        guard r.status == 0 else { throw Failure(description: "oracle make failed: \(r.stderr)") }
        return Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/image.bin")))
    }

    private static func run(_ args: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run("/usr/bin/env", ["python3", script] + args)
    }

    private static func geometryJSON(_ g: LittleFSGeometry) -> Data {
        let fields: [String: Int] = [
            "block_size": g.blockSize, "block_count": g.blockCount, "read_size": g.readSize,
            "prog_size": g.progSize, "cache_size": g.cacheSize, "lookahead_size": g.lookaheadSize,
            "name_max": g.nameMax, "file_max": g.fileMax, "attr_max": g.attrMax, "block_cycles": g.blockCycles,
            "disk_version": Int(g.diskVersion),
        ]
        return try! JSONSerialization.data(withJSONObject: fields)
    }

    private static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lfs-oracle-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static func quoted(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: s, options: .fragmentsAllowed), as: UTF8.self)
    }
    public static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
    static func hexBytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = [], chars = Array(s.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) ?? 0)
            chars = chars.dropFirst(2)
        }
        return out
    }
}

