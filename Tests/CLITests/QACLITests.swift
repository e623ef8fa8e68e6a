import Foundation
import Testing

/// `provision verify` and `provision qa-server`, run as users run them.
@Suite struct QACLITests {
    static func syntheticSoc() throws -> URL {
        let folder = try ProvisionBinary.temporaryFolder()
        let soc = folder.appendingPathComponent("syn.soc")
        let made = try ProvisionBinary.run(["sim", "make-soc", soc.path, "--size", "small"])
        #expect(made.status == 0, "\(made.stderr)")
        return soc
    }

    @Test func verifySimGoesFromBlankToASignedPass() async throws {
        let soc = try Self.syntheticSoc()
        let result = try await ProvisionBinary.run(["verify", "--sim", "--soc", soc.path, "--attach-ms", "10", "--json",
                                              "--station-key", "k1"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["pass"] as? Bool == true)
        let checks = try #require(json["checks"] as? [[String: Any]])
        #expect(checks.prefix(6).compactMap { $0["check"] as? String }
                == ["get", "form_post", "multipart_upload", "download", "json_roundtrip", "gzip"])
        #expect(checks.allSatisfy { $0["pass"] as? Bool == true })
        #expect((json["signature"] as? String)?.count == 64)
        #expect(json["imei"] as? String != nil)
    }

    @Test func verifySimWithACorruptedDownloadFailsWithExitOne() async throws {
        let soc = try Self.syntheticSoc()
        let result = try await ProvisionBinary.run(["verify", "--sim", "--soc", soc.path, "--attach-ms", "10",
                                              "--fault", "corrupt-download"])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("FAIL"))
        #expect(result.stdout.contains("FAIL download") && result.stdout.contains("content mismatch"))
    }

    @Test func verifyInputErrorsExitTwoWithOneLine() async throws {
        let noSim = try await ProvisionBinary.run(["verify", "--soc", "x.soc"])
        #expect(noSim.status == 2)
        #expect(noSim.stderr.hasPrefix("provision: ") && noSim.stderr.split(separator: "\n").count == 1)
        let missing = try await ProvisionBinary.run(["verify", "--sim", "--soc", "/nonexistent/missing.soc"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/missing.soc"))
        let soc = try Self.syntheticSoc()
        let badFault = try await ProvisionBinary.run(["verify", "--sim", "--soc", soc.path, "--fault", "gremlins"])
        #expect(badFault.status == 2)
        #expect(badFault.stderr.contains("gremlins"))
    }

    @Test func qaServerRefusesABadListenAddress() async throws {
        let result = try await ProvisionBinary.run(["qa-server", "--listen", "nonsense"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--listen nonsense"))
    }

    @Test func qaServerBenchReportsNoLostOrMixedRecords() async throws {
        let result = try await ProvisionBinary.run(["qa-server", "--bench-boards", "5"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("PASS 5/5, lost records 0, mixed-up records 0"))
    }
}
