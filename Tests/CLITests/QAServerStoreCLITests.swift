import Foundation
import QA
import Testing
import TestSupport

/// `provision qa-server --db`: a QA server killed mid-session and started again on its store
/// still has the session, as a station reaching it through `SharedQAServerClient` sees it.
@Suite struct QAServerStoreCLITests {
    static let token = "cli-token"

    /// Starts `provision qa-server` on a free port over `db`; returns it with the base URL it
    /// printed (polled for, bounded).
    static func start(db: String, folder: URL) async throws -> (RunningChild, String) {
        let child = try RunningChild(ProvisionBinary.url.path, [
            "qa-server", "--listen", "127.0.0.1:0", "--admin-token", token, "--db", db,
        ], folder: folder.path)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let out = child.stdout
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("qa-server listening on 127.0.0.1:") }) {
                #expect(line.contains("sessions kept in sqlite:"), "\(line)")
                let port = line.dropFirst("qa-server listening on 127.0.0.1:".count).prefix { $0.isNumber }
                return (child, "http://127.0.0.1:\(port)")
            }
            if !child.stderr.isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        child.send(SIGKILL)
        _ = child.wait()
        throw ChildProcess.Failure("qa-server did not start: \(child.stdout)\(child.stderr)")
    }

    @Test func aKilledQAServerRestartedOnItsStoreStillHasTheSession() async throws {
        let folder = try ProvisionBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = "sqlite:" + folder.appendingPathComponent("qa.sqlite").path
        let (first, firstURL) = try await Self.start(db: db, folder: folder)
        let plan = QAPlan(checks: [.get], deadlineMs: 600_000)
        let ticket = try await SharedQAServerClient(serverURL: firstURL, adminToken: Self.token)
            .createSession(boardID: "crash", plan: plan)
        first.send(SIGKILL)
        #expect(first.wait() == 128 + SIGKILL)

        let (second, secondURL) = try await Self.start(db: db, folder: folder)
        defer {
            second.send(SIGTERM)
            _ = second.wait()
        }
        let client = try SharedQAServerClient(serverURL: secondURL, adminToken: Self.token)
        let verdict = try #require(try await client.verdict(sessionID: ticket.sessionID, boardEvents: []))
        #expect(verdict.boardID == "crash" && verdict.failure == .noReport)
        try await client.closeSession(ticket.sessionID)
        #expect(try await client.verdict(sessionID: ticket.sessionID, boardEvents: []) == nil)
    }

    @Test func aBadStoreURLIsRefusedBeforeListening() async throws {
        let result = try await ProvisionBinary.run(["qa-server", "--listen", "127.0.0.1:0", "--db", "sqlite:/nonexistent/x/qa.sqlite"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("/nonexistent/x") && !result.stdout.contains("listening"))
    }
}
