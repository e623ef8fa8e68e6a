import Crypto
import Foundation
import QA
import Testing

/// Requests for a session that the board did not sign: anyone who knows a session id (it is in
/// every board URL) can send them, so they are kept as interference and never decide a verdict.
@Suite("QA server: only the board's signed requests count")
struct QAInterferenceTests {
    /// The board's per-request signature: HMAC-SHA256 with the session key over
    /// method, the session path and the body's SHA-256 (uppercase hex, as LuatOS gives it).
    static func boardSignature(_ method: String, _ path: String, body: [UInt8] = [], key: String) -> String {
        let message = method + path + QAContent.sha256(body).uppercased()
        return HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: Array(key.utf8)))
            .map { String(format: "%02X", $0) }.joined()
    }

    /// The board's signature for a bodiless GET of `url` (its path is the session path).
    static func boardSignature(url: String, key: String) -> String {
        boardSignature("GET", URL(string: url)?.path ?? "", key: key)
    }

    static func formBody(_ ticket: QASessionTicket, text: String = QAContent.formText) -> [UInt8] {
        let token = QAContent.block(nonce: ticket.nonce, label: QAContent.formLabel, index: 1)
        let encoded = text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")) ?? ""
        return Array("imei=862011060000010&token=\(token)&text=\(encoded)".utf8)
    }

    static func formReport(_ ticket: QASessionTicket, body: [UInt8]) async throws -> Int {
        try await QARangeTests.signedReport(ticket, checks: [["name": "form_post", "code": 200, "ms": 30, "ok": true,
                                                              "hash": QAContent.sha256(body).uppercased()]],
                                            downloadSHA256: nil)
    }

    @Test("a stranger's wrong form after the board's good one does not fail the board; it shows as interference")
    func strangerCannotFailAGoodBoard() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "good", plan: QAPlan(checks: [.formPost]))
        let path = "/qa/\(ticket.sessionID)/form"
        let good = Self.formBody(ticket)
        let (boardStatus, _) = try await QAServerTests.post(
            ticket.sessionURL + "/form", body: good,
            headers: [("Content-Type", "application/x-www-form-urlencoded"),
                      ("X-QA-Signature", Self.boardSignature("POST", path, body: good, key: ticket.key))])
        #expect(boardStatus == 200)
        // The stranger knows the session id (it is in the URL), not the key.
        let bad = Self.formBody(ticket, text: "tampered")
        _ = try await QAServerTests.post(ticket.sessionURL + "/form", body: bad,
                                         headers: [("Content-Type", "application/x-www-form-urlencoded")])
        _ = try await QAServerTests.post(ticket.sessionURL + "/form", body: bad,
                                         headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                                   ("X-QA-Signature", Self.boardSignature("POST", path, body: bad, key: "guess"))])
        #expect(try await Self.formReport(ticket, body: good) == 200)

        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID))
        #expect(verdict.pass, "\(verdict)")
        #expect(verdict.checks.first?.detail.contains("2 requests not signed by the board ignored") == true,
                "\(verdict.checks)")
        #expect(verdict.notes.contains { $0.contains("2 requests not signed by the board") && $0.contains("form_post") },
                "\(verdict.notes)")
        let evidence = try #require(await server.evidence(sessionID: ticket.sessionID))
        let forms = evidence.observations.filter { $0.check == "form_post" }
        #expect(forms.count == 3)
        #expect(forms[0].interference == nil)
        #expect(forms[1].interference?.contains("no X-QA-Signature") == true)
        #expect(forms[2].interference?.contains("does not match") == true)
    }

    @Test("an unsigned request cannot stand in for the board's own")
    func unsignedDoesNotCount() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "absent", plan: QAPlan(checks: [.formPost]))
        // Only a stranger posted the (right) form; the board's report claims it did.
        let good = Self.formBody(ticket)
        _ = try await QAServerTests.post(ticket.sessionURL + "/form", body: good,
                                         headers: [("Content-Type", "application/x-www-form-urlencoded")])
        #expect(try await Self.formReport(ticket, body: good) == 200)
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID))
        #expect(!verdict.pass)
        #expect(verdict.checks.first?.failure == .contentMismatch)
        #expect(verdict.checks.first?.detail.contains("no signed request") == true, "\(verdict.checks)")
    }
}

extension QAInterferenceTests {
    @Test("a flood of unsigned requests keeps a bounded number of observations and counts the rest")
    func floodIsBounded() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "flooded", plan: QAPlan(checks: [.get], getBytes: 16))
        let flood = 70
        for _ in 0..<flood { _ = try await QAServerTests.get(ticket.sessionURL + "/get") }
        let evidence = try #require(await server.evidence(sessionID: ticket.sessionID))
        #expect(evidence.observations.count == 64)
        #expect(evidence.interferenceNotKept == flood - 64)
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID))
        #expect(verdict.notes.contains { $0.hasPrefix("\(flood) requests not signed by the board") }, "\(verdict.notes)")
    }
}
