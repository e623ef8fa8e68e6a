import Foundation
import QA
import Testing

/// The verdict carries the report the server accepted exactly as the board signed it (bytes,
/// signature, session key) and what the board said of each check, so a record can keep them.
@Suite("QA verdict: the signed report and per-check codes")
struct QASignedReportTests {
    /// A session whose board posted a signed report; returns the ticket, the report bytes and the verdict.
    private func reported() async throws -> (QASessionTicket, [UInt8], String, QAVerdict) {
        let server = QAServer(host: "127.0.0.1", port: 0)
        _ = try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "b1")
        // Spaces and key order as a board may send them: the record must keep these bytes, not a re-encoding.
        let body = Array(#"{"sid":"\#(ticket.sessionID)", "csq":20,"imei":"862011060000010","iccid":"89860022100000010001","fw":"V1112","checks":[{"name":"get","code":-4,"ms":5,"ok":false}]}"#.utf8)
        let signature = QAServerTests.sign(body, key: ticket.key)
        let (status, _) = try await QAServerTests.post(ticket.sessionURL + "/report", body: body,
                                                       headers: [("X-QA-Signature", signature)])
        #expect(status == 200)
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID))
        return (ticket, body, signature, verdict)
    }

    @Test("the verdict keeps the exact report bytes, the signature and the session key")
    func verdictKeepsTheSignedReport() async throws {
        let (ticket, body, signature, verdict) = try await reported()
        let signed = try #require(verdict.signedReport)
        #expect(signed.body == body)
        #expect(signed.signature == signature)
        #expect(signed.key == ticket.key)
        #expect(signed.isAuthentic)
        #expect(signed.report?.csq == 20)
        #expect(verdict.csq == 20 && verdict.imei == "862011060000010")
    }

    @Test("one changed byte of the report, or another key, no longer matches the signature")
    func aChangedByteIsNotAuthentic() async throws {
        let (_, body, signature, verdict) = try await reported()
        let signed = try #require(verdict.signedReport)
        var tampered = body
        let at = try #require(tampered.firstIndex(of: UInt8(ascii: "2")))
        tampered[at] = UInt8(ascii: "3")
        #expect(!QASignedReport(body: tampered, signature: signature, key: signed.key).isAuthentic)
        #expect(!QASignedReport(body: body, signature: signature, key: signed.key + "0").isAuthentic)
        // The board's LuatOS HMAC is uppercase hex; the check is case-blind, as the server's is.
        #expect(QASignedReport(body: body, signature: signature.lowercased(), key: signed.key).isAuthentic)
    }

    @Test("each check's verdict carries the code the board reported")
    func checksCarryTheBoardsCode() async throws {
        let (_, _, _, verdict) = try await reported()
        let get = try #require(verdict.checks.first { $0.check == "get" })
        #expect(get.code == -4)
        #expect(get.failure == .httpLibraryError(code: -4))
    }

    @Test("the signed report travels as base64 JSON; a verdict without one decodes as before")
    func codableRoundTrip() async throws {
        let (_, _, _, verdict) = try await reported()
        let data = try JSONEncoder().encode(verdict)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let report = try #require(object["signedReport"] as? [String: Any])
        #expect(report["body"] is String)
        #expect(try JSONDecoder().decode(QAVerdict.self, from: data) == verdict)

        var older = object
        older["signedReport"] = nil
        older["checks"] = (object["checks"] as? [[String: Any]])?.map { c in c.filter { $0.key != "code" } }
        let decoded = try JSONDecoder().decode(QAVerdict.self, from: try JSONSerialization.data(withJSONObject: older))
        #expect(decoded.signedReport == nil)
        #expect(decoded.checks.allSatisfy { $0.code == nil })
    }
}
