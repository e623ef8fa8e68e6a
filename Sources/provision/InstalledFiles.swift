import Firmware
import Foundation
import Hotplug
import QA

/// What `doctor` says about the files a station runs from: which profile folder answered, the
/// QA script, the station.toml, and the packaged service (`scripts/package-deb`).
enum InstalledFiles {
    /// The package's paths, for `doctor --print-layout` (read by scripts/package-deb, so the
    /// packaging script and the binary agree on one set of paths).
    static var layoutLines: KeyValuePairs<String, String> {
        [
            "DATA_DIR": InstalledLayout.dataFolder,
            "PROFILES_DIR": InstalledLayout.profilesFolder,
            "CONFIG_DIR": InstalledLayout.configFolder,
            "STATION_CONFIG": InstalledLayout.stationConfig,
            "SERVICE_ENV": InstalledLayout.serviceEnvironment,
            "SERVICE_NAME": InstalledLayout.serviceName,
            "SERVICE_UNIT": InstalledLayout.serviceUnit,
            "UDEV_RULE": InstalledLayout.udevRulesFolder + "/"
                + (UdevRule.defaultPath as NSString).lastPathComponent,
            "UDEV_GROUP": UdevRule().group,
            "TTY_GROUP": InstalledLayout.ttyGroup,
            "STATE_DIR": InstalledLayout.stateFolder,
            "SERVICE_USER": InstalledLayout.serviceUser,
        ]
    }

    /// The installed service's station.toml, when there is one: what `doctor` reads without --station.
    static func serviceStationConfig() -> String? {
        FileManager.default.fileExists(atPath: InstalledLayout.stationConfig) ? InstalledLayout.stationConfig : nil
    }

    static func checks(profile: Profile, stationFile: String?, given: Bool) -> [DoctorCheck] {
        var checks = [profileCheck(profile)]
        if let qa = QAScriptImage.defaultScriptFolder(board: profile.name) {
            checks.append(DoctorCheck(.ok, "QA script", qa))
        } else {
            checks.append(DoctorCheck(.fail, "QA script", "no \(profile.name)/qa/main.lua in "
                                      + Profile.searchFolders().joined(separator: ", ")))
        }
        if let stationFile {
            checks.append(DoctorCheck(.ok, "station.toml", stationFile + (given ? "" : " (the installed service's)")))
        } else {
            checks.append(DoctorCheck(.skip, "station.toml", "none given; the installed service reads \(InstalledLayout.stationConfig)"))
        }
        checks.append(serviceCheck())
        return checks
    }

    /// The profile file and which of the search folders it came from.
    static func profileCheck(_ profile: Profile) -> DoctorCheck {
        let folder = (profile.source as NSString).deletingLastPathComponent
        let kind: String
        switch folder {
        case InstalledLayout.profilesFolder: kind = "the package's profiles"
        case InstalledLayout.localProfilesFolder: kind = "this machine's own profiles"
        case FileManager.default.currentDirectoryPath + "/profiles": kind = "./profiles"
        default:
            let env = ProcessInfo.processInfo.environment
            if let data = env[InstalledLayout.dataFolderVariable], folder == data + "/profiles" {
                kind = "$\(InstalledLayout.dataFolderVariable)"
            } else if env["PROVISION_PROFILES"] == folder {
                kind = "$PROVISION_PROFILES"
            } else if Profile.searchFolders().contains(folder) {
                kind = "the source checkout"
            } else {
                kind = "given path"
            }
        }
        return DoctorCheck(.ok, "profile", "\(profile.name): \(profile.source) (\(kind))")
    }

    /// The systemd unit, its firmware and script choice, and (when systemd runs) its state.
    static func serviceCheck() -> DoctorCheck {
        let unit = InstalledLayout.serviceUnit
        guard FileManager.default.fileExists(atPath: unit) else {
            return DoctorCheck(.skip, "service", "\(InstalledLayout.serviceName) not installed (the Debian package installs it)")
        }
        var notes: [String] = []
        let environment = serviceEnvironment()
        for key in ["SOC", "APP"] {
            guard let path = environment[key], !path.isEmpty else {
                notes.append("\(key) not set in \(InstalledLayout.serviceEnvironment)")
                continue
            }
            if !FileManager.default.fileExists(atPath: path) {
                notes.append("\(key) \(path) missing")
            }
        }
        var state = "systemd not running here"
        if FileManager.default.fileExists(atPath: "/run/systemd/system") {
            let enabled = systemctl(["is-enabled", InstalledLayout.serviceName]) ?? "unknown"
            let active = systemctl(["is-active", InstalledLayout.serviceName]) ?? "unknown"
            state = "\(enabled), \(active)"
            if enabled != "enabled" { notes.append("not started at boot: systemctl enable --now \(InstalledLayout.serviceName)") }
        }
        let detail = "\(unit) (\(state))" + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; "))
        return DoctorCheck(notes.isEmpty ? .ok : .warn, "service", detail)
    }

    /// `KEY=value` lines of the service's environment file (comments and blanks skipped).
    static func serviceEnvironment() -> [String: String] {
        guard let text = try? String(contentsOfFile: InstalledLayout.serviceEnvironment, encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let eq = trimmed.firstIndex(of: "=") else { continue }
            var value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
            values[String(trimmed[..<eq])] = value
        }
        return values
    }

    /// One word of `systemctl` output, or nil when it cannot be run.
    private static func systemctl(_ arguments: [String]) -> String? {
        guard let path = ["/usr/bin/systemctl", "/bin/systemctl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
