import CLibUDev
import Foundation

/// Facts about the machine that decide whether a station can work here, for `doctor`.
public enum SystemProbe {
    /// Whether udevd runs (its control socket exists). Without it, only `--source kernel`
    /// monitors see events and no udev rule is applied.
    public static var udevdRunning: Bool {
        FileManager.default.fileExists(atPath: "/run/udev/control")
    }

    /// The loaded libudev's file name with its version (`libudev.so.1.7.5`), from this
    /// process's memory map; libudev has no version call.
    public static var libudevVersion: String? {
        _ = udev_new().map { udev_unref($0) }  // make sure it is mapped
        guard let maps = readProcFile("/proc/self/maps") else { return nil }
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/"), line.contains("libudev.so") else { continue }
            return URL(fileURLWithPath: String(line[slash...])).resolvingSymlinksInPath().lastPathComponent
        }
        return nil
    }

    /// Names of running processes (`/proc/*/comm`) — enough to tell whether ModemManager runs.
    public static func runningProcessNames(proc: String = "/proc") -> Set<String> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? []
        var names = Set<String>()
        for entry in entries where entry.allSatisfy(\.isNumber) {
            if let comm = readProcFile("\(proc)/\(entry)/comm") {
                names.insert(comm.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        return names
    }

    /// /proc files report size 0: read to the end rather than by size.
    static func readProcFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The udev rule folders, in udev's order of precedence.
    public static let ruleFolders = ["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]

    /// The first rule file in `folders` that covers `rule`'s devices, if any.
    public static func installedRule(_ rule: UdevRule, in folders: [String] = ruleFolders) -> String? {
        for folder in folders {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { $0.hasSuffix(".rules") }.sorted()
            for file in files {
                let path = "\(folder)/\(file)"
                if let text = try? String(contentsOfFile: path, encoding: .utf8), rule.isCovered(by: text) {
                    return path
                }
            }
        }
        return nil
    }
}
