import Foundation
import Testing

/// Inputs the user names wrongly (a store URL, a file that is not a store, a certificate that is
/// not one) are bad input: exit 2 and one `provision: …` line, never the machine's exit 3.
@Suite struct InputExitCodeCLITests {
    private func expectOneLineInputError(_ result: ProvisionBinary.Result, _ what: String, naming: String) {
        #expect(result.status == 2, "\(what): exit \(result.status): \(result.stderr)")
        #expect(result.stderr.hasPrefix("provision: "), "\(what): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(what): \(result.stderr)")
        #expect(result.stderr.contains(naming), "\(what): \(result.stderr)")
    }

    @Test func badStoreURLsAndANonStoreFileAreBadInput() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("notes.txt")
        try Data("not a database\n".utf8).write(to: text)
        let stores = ["mysql://db.example/results", "postgres://", "postgres://u@h:notaport/db", "sqlite:",
                      "sqlite:" + folder.appendingPathComponent("missing-folder/x.sqlite").path, "sqlite:" + text.path]
        for store in stores {
            let station = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--count", "1", "--db", store])
            expectOneLineInputError(station, "station --db \(store)", naming: store)
        }
        let out = folder.appendingPathComponent("r.html").path
        for store in ["mysql://db.example/results", "postgres://", "sqlite:" + text.path] {
            let report = try await ProvisionBinary.run(["report", "--db", store, "-o", out])
            expectOneLineInputError(report, "report --db \(store)", naming: store)
        }
        #expect(FileManager.default.contents(atPath: text.path) == Data("not a database\n".utf8))
    }

    @Test func anUnreadableTLSCertificateOrKeyIsBadInput() async throws {
        let (folder, soc, app) = try ProvisionBinary.stationLine()
        defer { try? FileManager.default.removeItem(at: folder) }
        let garbage = folder.appendingPathComponent("garbage.pem")
        try Data("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n".utf8).write(to: garbage)
        let notPEM = folder.appendingPathComponent("key.pem")
        try Data("hello\n".utf8).write(to: notPEM)
        let db = folder.appendingPathComponent("results.sqlite").path
        let station = try await ProvisionBinary.run(["--soc", soc, app, "--simulate", "1", "--count", "1", "--db", "sqlite:" + db,
                                               "--tls-cert", garbage.path, "--tls-key", notPEM.path])
        expectOneLineInputError(station, "station --tls-cert", naming: garbage.path)
        #expect(!FileManager.default.fileExists(atPath: db), "refused before the store is made")
        let server = try await ProvisionBinary.run(["qa-server", "--listen", "127.0.0.1:0",
                                              "--tls-cert", garbage.path, "--tls-key", notPEM.path])
        expectOneLineInputError(server, "qa-server --tls-cert", naming: garbage.path)
    }

    @Test func aCommandLineThatDoesNotParseIsOneLine() async throws {
        let missingValue = try await ProvisionBinary.run(["flash", "--soc", "x.soc", "--retries"])
        expectOneLineInputError(missingValue, "flash --retries", naming: "--retries")
        let badValue = try await ProvisionBinary.run(["flash", "--soc", "x.soc", "--retries", "many"])
        expectOneLineInputError(badValue, "flash --retries many", naming: "many")
        let noSoc = try await ProvisionBinary.run(["flash"])
        expectOneLineInputError(noSoc, "flash", naming: "--soc")
    }
}
