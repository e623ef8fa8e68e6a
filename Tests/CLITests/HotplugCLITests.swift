import Foundation
import Testing

/// `provision setup-udev`, `doctor` and `watch` argument handling, run as users run them.
/// (Their behaviour against simulated boards is in HotplugTests' UMockdev suite.)
@Suite struct HotplugCLITests {
    @Test func setupUdevPrintsTheRuleAndTouchesNothing() async throws {
        let result = try await ProvisionBinary.run(["setup-udev", "--print", "--group", "station"])
        #expect(result.status == 0, "\(result.stderr)")
        let rules = result.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(rules.count == 4)
        #expect(rules.filter { $0.contains("\"17d1\"") }.count == 2)
        #expect(rules.filter { $0.contains("\"19d1\"") }.count == 2)
        #expect(rules.allSatisfy { $0.contains("ENV{ID_MM_DEVICE_IGNORE}=\"1\"") && $0.contains("GROUP=\"station\"") })
    }

    @Test func setupUdevWritesTheSameRuleToOutput() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("70-provision.rules").path
        let printed = try await ProvisionBinary.run(["setup-udev", "--print"])
        let result = try await ProvisionBinary.run(["setup-udev", "--output", path, "--no-reload"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(path)"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == printed.stdout)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(leftovers == ["70-provision.rules"], "no temporary file left behind")
    }

    @Test func setupUdevIntoAMissingFolderIsAnEnvironmentError() async throws {
        let result = try await ProvisionBinary.run(["setup-udev", "--output", "/nonexistent-provision-dir/x.rules", "--no-reload"])
        #expect(result.status == 3)
        #expect(result.stderr.hasPrefix("provision: /nonexistent-provision-dir/x.rules: cannot write"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func watchRefusesABadLabel() async throws {
        let result = try await ProvisionBinary.run(["watch", "--label", "ttyACM0=A1", "--count", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("ttyACM0=A1"))
    }

    @Test func doctorFindsTheRuleAndTheQAServer() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try await ProvisionBinary.run(["setup-udev", "--output", folder.appendingPathComponent("70-p.rules").path, "--no-reload"])
        let listener = try LocalListener()
        defer { listener.close() }
        let result = try await ProvisionBinary.run(["doctor", "--rules-dir", folder.path,
                                              "--qa-server", "http://127.0.0.1:\(listener.port)/"])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("ok   udev rule") && $0.contains("70-p.rules") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("ok   QA server") && $0.contains("127.0.0.1:\(listener.port)") })
        #expect(lines.contains { $0.hasPrefix("ok   libusb") })
        #expect(lines.contains { $0.contains("AgentBoot") && $0.hasPrefix("skip") })
        // Only the machine's own state (ModemManager, devices) could fail here.
        let failing = lines.filter { $0.hasPrefix("FAIL") }
        #expect(result.status == (failing.isEmpty ? 0 : 3))
    }

    @Test func doctorFailsWhenTheQAServerIsUnreachable() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try LocalListener.unusedPort()
        let result = try await ProvisionBinary.run(["doctor", "--rules-dir", folder.path,
                                              "--qa-server", "http://127.0.0.1:\(port)"])
        #expect(result.status == 3)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("FAIL QA server") && $0.contains("not reachable") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("warn udev rule") || $0.hasPrefix("FAIL udev rule") })
    }

    @Test func doctorFailsWhenTheSocHasNoAgentBoot() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notSoc = folder.appendingPathComponent("x.soc").path
        try Data("not an archive".utf8).write(to: URL(fileURLWithPath: notSoc))
        let result = try await ProvisionBinary.run(["doctor", "--rules-dir", folder.path, "--soc", notSoc])
        #expect(result.status == 3)
        #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix("FAIL AgentBoot") && $0.contains("x.soc") })
    }

    /// `doctor` shows the QA URL real boards will be given and whether boards on 4G reach it.
    @Test func doctorJudgesTheQAURLBoardsWillBeGiven() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func line(_ extra: [String]) throws -> (status: Int32, line: String) {
            let result = try ProvisionBinary.run(["doctor", "--rules-dir", folder.path] + extra)
            let found = result.stdout.split(separator: "\n").first { $0.contains("QA URL for boards") }
            return (result.status, found.map(String.init) ?? "")
        }
        let loopback = try line(["--qa-url", "http://127.0.0.1:8080/"])
        #expect(loopback.status == 3 && loopback.line.hasPrefix("FAIL") && loopback.line.contains("this PC"), "\(loopback)")
        let privateAPN = try line(["--qa-url", "http://10.1.2.3:8080/"])
        #expect(privateAPN.line.hasPrefix("warn") && privateAPN.line.contains("private APN"), "\(privateAPN)")
        let none = try line([])
        #expect(none.line.hasPrefix("warn") && none.line.contains("--qa-server"), "\(none)")
        let station = folder.appendingPathComponent("station.toml")
        try Data("[qa]\npublic_urls = [\"https://qa.example.net\"]\n".utf8).write(to: station)
        let fromFile = try line(["--station", station.path])
        #expect(fromFile.line.hasPrefix("ok") && fromFile.line.contains("https://qa.example.net"), "\(fromFile)")
    }
}

/// A TCP listener on 127.0.0.1 with a kernel-chosen port.
final class LocalListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && listen(fd, 4) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { Glibc.close(fd); throw POSIXError(.EADDRNOTAVAIL) }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    func close() { Glibc.close(fd) }

    /// A port nothing listens on (bound, then released).
    static func unusedPort() throws -> Int {
        let listener = try LocalListener()
        listener.close()
        return listener.port
    }
}
