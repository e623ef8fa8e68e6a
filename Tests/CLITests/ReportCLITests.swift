import Foundation
import Testing

/// `provision report` and command-line usage errors: bad input is exit code 2, one clear message.
@Suite struct ReportCLITests {
    @Test func missingStoreBadTimeAndBadFormatAreInputErrors() throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("r.html").path
        let missing = try ProvisionBinary.run(["report", "--db", "sqlite:/nonexistent/x.sqlite", "-o", out])
        #expect(missing.status == 2)
        #expect(missing.stderr == "provision: sqlite:/nonexistent/x.sqlite: no such results store\n")
        let badTime = try ProvisionBinary.run(["report", "--since", "yesterday", "-o", out])
        #expect(badTime.status == 2)
        #expect(badTime.stderr.contains("--since \"yesterday\" is not an ISO 8601 time"))
        let badFormat = try ProvisionBinary.run(["report", "--format", "pdf", "-o", out])
        #expect(badFormat.status == 2)
        #expect(badFormat.stderr.contains("'pdf' is invalid for '--format"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func usageErrorsExitWithTwoAndHelpWithZero() throws {
        #expect(try ProvisionBinary.run(["inspect"]).status == 2)
        #expect(try ProvisionBinary.run(["inspect", "--no-such-flag", "x.soc"]).status == 2)
        #expect(try ProvisionBinary.run(["--help"]).status == 0)
    }
}
