import Foundation
import TestSupport
import Testing

/// `--console` and `provision console` refuse what they cannot serve safely, before any board.
@Suite(.serialized) struct ConsoleOptionsCLITests {
    @Test func aConsoleOthersCanReachNeedsATokenAndAnAddress() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let toml = folder.appendingPathComponent("station.toml")
        try Data("[station]\nconsole = \"0.0.0.0:8781\"\n".utf8).write(to: toml)
        let base = ["--soc", soc, app, "--simulate", "1", "--dry-run"]
        for (arguments, reason) in [
            (["--console", "0.0.0.0:8781"], "--console 0.0.0.0:8781: a console other machines can reach needs a token"),
            (["--station", toml.path], "station.console 0.0.0.0:8781: a console other machines can reach needs a token"),
            (["--console", "nowhere"], "--console nowhere: not HOST:PORT"),
            (["--console", "127.0.0.1:70000"], "--console 127.0.0.1:70000: not HOST:PORT"),
        ] {
            let result = try await ProvisionBinary.run(base + arguments, environment: ["PROVISION_CONSOLE_TOKEN": ""])
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(reason), "\(arguments): \(result.stderr)")
        }
        // With a token, or on loopback, the same inputs are fine.
        for arguments in [["--console", "0.0.0.0:8781", "--console-token", "t"], ["--console", "8781"],
                          ["--station", toml.path, "--console-token", "t"]] {
            let result = try await ProvisionBinary.run(base + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
    }

    @Test func theLineViewRefusesABadAddressOrStore() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let badListen = try await ProvisionBinary.run(["console", "--db", "sqlite:" + folder.path + "/x.sqlite", "--listen", "here"])
        #expect(badListen.status == 2 && badListen.stderr.contains("--listen here"), "\(badListen.stderr)")
        let badStore = try await ProvisionBinary.run(["console", "--db", "mysql://db.example/results"])
        #expect(badStore.status == 2, "\(badStore.stderr)")
        let missingFolder = try await ProvisionBinary.run(["console", "--db", "sqlite:" + folder.path + "/no/such/folder/x.sqlite",
                                                     "--listen", "127.0.0.1:0"])
        // As for a station: a store in a folder that does not exist is the operator's to fix.
        #expect(missingFolder.status == 2 && missingFolder.stderr.contains("does not exist"), "\(missingFolder.stderr)")
    }
}
