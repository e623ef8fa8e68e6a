import AsyncHTTPClient
import Foundation
import QA
import Testing

/// The QA server runs all shift on a network anyone can reach: what it keeps must not grow with
/// what strangers send, and sessions must not outlive their use.
@Suite("QA server: bounded memory")
struct QAServerMemoryTests {
    @Test("requests for unknown sessions are counted, not kept per id; long ids are refused and shown truncated")
    func unknownSessionsAreBounded() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let base = "http://127.0.0.1:\(port)/qa/"
        let flood = 200
        for i in 0..<flood {
            // 4 KB ids, as in the report that found +156 MB per 20k requests.
            let sid = String(format: "%08d", i) + String(repeating: "f", count: 4096)
            let (status, _) = try await QAServerTests.get(base + sid + "/get")
            #expect(status == 404)
        }
        let (status, _) = try await QAServerTests.post(base + "0123456789abcdef/report", body: Array("{}".utf8))
        #expect(status == 404)
        #expect(await server.unknownSessionRequestCount() == flood + 1)
        let kept = await server.unknownSessionRejections()
        #expect(kept.count <= 32, "\(kept.count) rejections kept")
        #expect(kept.allSatisfy { ($0.sessionID?.count ?? 0) <= 17 && $0.path.count <= 80 })
        #expect(kept.last?.sessionID == "0123456789abcdef" && kept.last?.path == "/qa/0123456789abcdef/report")
    }

    @Test("a session nobody closed is forgotten once past its deadline and the retention")
    func abandonedSessionsExpire() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0, sessionRetention: .zero)
        let abandoned = await server.createSession(boardID: "gone", plan: QAPlan(deadlineMs: 1))
        let live = await server.createSession(boardID: "live", plan: QAPlan(deadlineMs: 600_000))
        // Sessions are swept as new ones open, once the clock is past the 1 ms deadline; no sleep,
        // just opening sessions until then (bounded, far above what it takes).
        let end = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < end, await server.evidence(sessionID: abandoned.sessionID) != nil {
            let next = await server.createSession(boardID: "next", plan: QAPlan(deadlineMs: 600_000))
            await server.closeSession(next.sessionID)
        }
        #expect(await server.evidence(sessionID: abandoned.sessionID) == nil)
        #expect(await server.evidence(sessionID: live.sessionID) != nil)
        #expect(await server.openSessionCount() == 1)
    }

    @Test("in process: finishing a session judges it, hands its evidence over and frees it")
    func finishFrees() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "done", plan: QAPlan(checks: [.get]))
        _ = try await QARangeTests.get(ticket.sessionURL + "/get", key: ticket.key)
        let handover = try #require(await server.finishSession(ticket.sessionID))
        #expect(handover.evidence.observations.map(\.check) == ["get"])
        #expect(handover.verdict.sessionID == ticket.sessionID)
        #expect(await server.openSessionCount() == 0)
        #expect(await server.finishSession(ticket.sessionID) == nil)
    }

    @Test("a remote station takes a finished session's evidence and verdict over; the server then forgets it")
    func adminHandsOverAndFrees() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0, adminToken: "s3cret")
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let base = "http://127.0.0.1:\(port)"
        let (status, body) = try await QAAdminTests.call("POST", base + "/admin/sessions", token: "s3cret",
                                                         body: Array(#"{"board_id":"b1"}"#.utf8))
        #expect(status == 200)
        let ticket = try JSONDecoder().decode(QASessionTicket.self, from: Data(body))
        _ = try await QARangeTests.get(base + "/qa/\(ticket.sessionID)/get", key: ticket.key)

        let (denied, _) = try await QAAdminTests.call("DELETE", base + "/admin/sessions/\(ticket.sessionID)", token: "wrong")
        #expect(denied == 401)
        let (closed, answer) = try await QAAdminTests.call("DELETE", base + "/admin/sessions/\(ticket.sessionID)", token: "s3cret")
        #expect(closed == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])
        let evidence = try JSONDecoder().decode(QASessionEvidence.self,
                                                from: JSONSerialization.data(withJSONObject: try #require(object["evidence"])))
        let verdict = try JSONDecoder().decode(QAVerdict.self,
                                               from: JSONSerialization.data(withJSONObject: try #require(object["verdict"])))
        #expect(evidence.observations.map(\.check) == ["get"])
        #expect(verdict.sessionID == ticket.sessionID && !verdict.pass)

        let (gone, _) = try await QAAdminTests.call("GET", base + "/admin/sessions/\(ticket.sessionID)", token: "s3cret")
        #expect(gone == 404)
        let (again, _) = try await QAAdminTests.call("DELETE", base + "/admin/sessions/\(ticket.sessionID)", token: "s3cret")
        #expect(again == 404)
        // The board's requests for a freed session are unknown-session refusals.
        #expect(try await QAServerTests.get(base + "/qa/\(ticket.sessionID)/get").0 == 404)
    }
}
