import ArgumentParser
import Firmware
import Foundation
import Hotplug

/// `provision setup-udev`: installs the udev rule that lets the station user open the boards
/// and keeps ModemManager away from them.
struct SetupUdev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup-udev",
        abstract: "Install (or print) the udev rule for the boards: access for the station's group, ModemManager off.",
        discussion: """
            Covers both shapes of a board (download mode and running firmware, from the profile): the usbfs \
            node libusb opens and the ttys. Writing to /etc needs root. udev is reloaded only if udevadm exists \
            and udevd runs.
            """)

    @Flag(name: .customLong("print"), help: "Print the rule to stdout and change nothing.")
    var printOnly = false

    @Option(help: "Where to write the rule.")
    var output = UdevRule.defaultPath

    @Option(help: "Group given read/write access; the station user must be in it.")
    var group = "plugdev"

    @OptionGroup var boardProfile: BoardProfileOption

    @Flag(name: .customLong("no-reload"), help: "Do not ask udev to reload its rules.")
    var noReload = false

    func validate() throws {
        guard !group.isEmpty, group.allSatisfy({ $0.isLetter || $0.isNumber || "_-".contains($0) }) else {
            throw ValidationError("--group must be a plain group name")
        }
    }

    func run() async throws {
        do {
            let rule = UdevRule(group: group, identity: BoardUSBIdentity(profile: try boardProfile.load()))
            if printOnly {
                FileHandle.standardOutput.write(Data(rule.text.utf8))
                return
            }
            try install(rule.text, at: output)
            print("wrote \(output)")
            print(reload())
        } catch {
            throw fail(error)
        }
    }

    /// Temp file in the same folder, then rename: never a half-written rule for udev to read.
    private func install(_ text: String, at path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let temp = "\(folder.isEmpty ? "." : folder)/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            let err = errno
            throw SetupUdevError(path: path, reason: err == EACCES || err == EPERM
                ? "permission denied (run as root: sudo provision setup-udev)"
                : "cannot write: \(String(cString: strerror(err)))")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let writeError = errno
        close(fd)
        guard written == bytes.count else {
            unlink(temp)
            throw SetupUdevError(path: path, reason: "cannot write: \(String(cString: strerror(writeError)))")
        }
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw SetupUdevError(path: path, reason: "cannot install: \(reason)")
        }
    }

    /// Reloads udevd's rules and replays add events so boards already plugged in get them.
    private func reload() -> String {
        if noReload { return "udev not reloaded (--no-reload): replug the boards or run `udevadm control --reload-rules`" }
        guard let udevadm = ["/usr/bin/udevadm", "/bin/udevadm", "/sbin/udevadm", "/usr/sbin/udevadm"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return "udevadm not found: udev not reloaded (the rule applies once udev runs)"
        }
        guard SystemProbe.udevdRunning else {
            return "udevd is not running: the rule applies once it runs"
        }
        for arguments in [["control", "--reload-rules"], ["trigger", "--action=add", "--subsystem-match=usb"],
                          ["trigger", "--action=add", "--subsystem-match=tty"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: udevadm)
            process.arguments = arguments
            do {
                try process.run()
                process.waitUntilExit()
            } catch {
                return "udevadm \(arguments.joined(separator: " ")) failed: \(error.localizedDescription)"
            }
            if process.terminationStatus != 0 {
                return "udevadm \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)"
            }
        }
        return "udev rules reloaded; boards already plugged in were re-triggered"
    }
}

/// The rule could not be installed: the machine, not the input, is at fault.
struct SetupUdevError: ProvisionFailure {
    let path: String
    let reason: String
    var exitCode: Int32 { ProvisionExit.environmentError }
    var description: String { "\(path): \(reason)" }
}
