import Crypto
import Foundation
import LittleFS

/// What the simulated firmware's `fskv` and file system see of its flash. The firmware mounts
/// the fskv and LittleFS regions at boot; the simulator's runtime keeps them as folders of its
/// sandbox (`fskv/`, `fs/`). At each boot, a region whose bytes changed since the last boot (the
/// station wrote a board's data into it) is read as littlefs and its files laid over the folder:
/// an app's `fskv.get("device_key")` then returns what the station wrote. Files the app wrote
/// since stay unless the region holds the same name, as on a board, whose rewrite keeps them.
enum FlashRegionMount {
    struct Region {
        let name: String
        let geometry: LittleFSGeometry
        /// The sandbox folder the runtime reads this region from.
        let folder: String
    }

    static func regions(sandbox: String) -> [Region] {
        [
            Region(name: "fskv", geometry: .ec618FSKV, folder: sandbox + "/fskv"),
            Region(name: "fs", geometry: .ec618Main, folder: sandbox + "/fs"),
        ]
    }

    /// Lays every changed region of `apFlash` over its folder; a blank or unreadable region is
    /// left alone (the firmware would format it and find nothing).
    static func mount(apFlash: [UInt8], sandbox: String) {
        for region in regions(sandbox: sandbox) {
            let start = Int(region.geometry.flashOffset), end = start + region.geometry.regionSize
            guard end <= apFlash.count else { continue }
            let bytes = Array(apFlash[start..<end])
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            let marker = sandbox + "/.mounted-" + region.name
            if (try? String(contentsOfFile: marker, encoding: .utf8)) == digest { continue }
            if !bytes.allSatisfy({ $0 == 0xFF }), let volume = try? LittleFSReader.read(bytes) {
                for file in volume.files {
                    let path = region.folder + file.path
                    try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                             withIntermediateDirectories: true)
                    _ = FileManager.default.createFile(atPath: path, contents: Data(file.contents))
                }
            }
            try? FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: true)
            try? digest.write(toFile: marker, atomically: true, encoding: .utf8)
        }
    }
}
