import AsyncHTTPClient
import Crypto
import Foundation
import QA
import Testing
import Vocabulary

@Suite("QA server: sessions, refusals, signed reports")
struct QAServerTests {
    static func post(_ url: String, body: [UInt8], headers: [(String, String)] = []) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (n, v) in headers { request.headers.add(name: n, value: v) }
        request.body = .bytes(body)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(bytes.readableBytesView))
    }

    static func get(_ url: String) async throws -> (Int, [UInt8]) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(bytes.readableBytesView))
    }

    static func sign(_ body: [UInt8], key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8)))
            .map { String(format: "%02X", $0) }.joined()
    }

    static func reportBody(sid: String) -> [UInt8] {
        Array(#"{"sid":"\#(sid)","imei":"862011060000010","iccid":"89860022100000010001","csq":20,"fw":"V1112","checks":[{"name":"get","code":200,"ms":5,"ok":true}]}"#.utf8)
    }

    @Test("a session serves nonce-derived content; sessions differ")
    func sessionsDiffer() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        #expect(port > 0)
        let a = await server.createSession(boardID: "a")
        let b = await server.createSession(boardID: "b")
        #expect(a.sessionURL == "http://127.0.0.1:\(port)/qa/\(a.sessionID)")
        #expect(a.nonce != b.nonce && a.key != b.key && a.sessionID != b.sessionID)
        let (statusA, bodyA) = try await Self.get(a.sessionURL + "/get")
        let (_, bodyB) = try await Self.get(b.sessionURL + "/get")
        #expect(statusA == 200)
        #expect(bodyA == QAContent.bytes(nonce: a.nonce, label: "get", count: a.plan.getBytes))
        #expect(bodyA != bodyB)
        let evidence = try #require(await server.evidence(sessionID: a.sessionID))
        #expect(evidence.observations.map(\.check) == ["get"])
    }

    @Test("unknown session and oversized bodies are refused and recorded")
    func refusals() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let (status, _) = try await Self.get("http://127.0.0.1:\(port)/qa/nosuchsession/get")
        #expect(status == 404)
        #expect(await server.unknownSessionRejections().contains { $0.sessionID == "nosuchsession" && $0.status == 404 })

        let ticket = await server.createSession(boardID: "big", plan: QAPlan(bodyLimit: 1024))
        let (bigStatus, _) = try await Self.post(ticket.sessionURL + "/upload", body: [UInt8](repeating: 0x41, count: 4096),
                                                 headers: [("Content-Type", "multipart/form-data; boundary=x")])
        #expect(bigStatus == 413)
        let evidence = try #require(await server.evidence(sessionID: ticket.sessionID))
        #expect(evidence.rejections.contains { $0.status == 413 })
        #expect(!evidence.observations.contains { $0.check == "multipart_upload" })
    }

    @Test("upload: the file part is hashed and compared; its file name is never a path")
    func uploadHashed() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "up")
        let data = QAContent.bytes(nonce: ticket.nonce, label: "up", count: ticket.plan.uploadBytes)
        func body(_ content: [UInt8]) -> [UInt8] {
            Array("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
                + content + Array("\r\n--B--\r\n".utf8)
        }
        let (ok, _) = try await Self.post(ticket.sessionURL + "/upload", body: body(data),
                                          headers: [("Content-Type", "multipart/form-data; boundary=B")])
        var altered = data
        altered[10] ^= 0xFF
        let (ok2, _) = try await Self.post(ticket.sessionURL + "/upload", body: body(altered),
                                           headers: [("Content-Type", "multipart/form-data; boundary=B")])
        #expect(ok == 200 && ok2 == 200)
        let evidence = try #require(await server.evidence(sessionID: ticket.sessionID))
        #expect(evidence.observations.map(\.matched) == [true, false])
        #expect(evidence.observations[0].receivedSHA256 == QAContent.sha256(data))
        #expect(!FileManager.default.fileExists(atPath: "../../etc/passwd.qa"))
    }

    @Test("report: forged signature refused, a valid one accepted once, its replay refused")
    func signedReports() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "r")
        let other = await server.createSession(boardID: "other")
        let body = Self.reportBody(sid: ticket.sessionID)

        let (forged, _) = try await Self.post(ticket.sessionURL + "/report", body: body,
                                              headers: [("X-QA-Signature", Self.sign(body, key: other.key))])
        #expect(forged == 401)
        let (unsigned, _) = try await Self.post(ticket.sessionURL + "/report", body: body)
        #expect(unsigned == 401)
        // Signed with the right key, but naming another session: refused.
        let foreign = Self.reportBody(sid: other.sessionID)
        let (wrongSid, _) = try await Self.post(ticket.sessionURL + "/report", body: foreign,
                                                headers: [("X-QA-Signature", Self.sign(foreign, key: ticket.key))])
        #expect(wrongSid == 401)
        #expect(await server.evidence(sessionID: ticket.sessionID)?.report == nil)
        let verdictBefore = try #require(await server.verdict(sessionID: ticket.sessionID))
        #expect(verdictBefore.failure == .noReport)

        let signature = Self.sign(body, key: ticket.key).lowercased()
        let (accepted, _) = try await Self.post(ticket.sessionURL + "/report", body: body, headers: [("X-QA-Signature", signature)])
        #expect(accepted == 200)
        let (replayed, _) = try await Self.post(ticket.sessionURL + "/report", body: body, headers: [("X-QA-Signature", signature)])
        #expect(replayed == 409)
        // The same report replayed into another session fails that session's key.
        let (crossReplay, _) = try await Self.post(other.sessionURL + "/report", body: body, headers: [("X-QA-Signature", signature)])
        #expect(crossReplay == 401)

        let evidence = try #require(await server.evidence(sessionID: ticket.sessionID))
        #expect(evidence.report?.imei == "862011060000010")
        #expect(evidence.rejections.map(\.status) == [401, 401, 401, 409])
        #expect(evidence.rejections.first?.reason.contains("forged") == true)
        #expect(await server.evidence(sessionID: other.sessionID)?.report == nil)
        // The board claimed GET passed, but the server never saw a GET: not a pass.
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID))
        #expect(verdict.checks.first?.failure == .contentMismatch)
        #expect(!verdict.pass)
    }

    @Test("the listen address must be bindable")
    func badListen() async throws {
        let first = QAServer(host: "127.0.0.1", port: 0)
        let port = try await first.start()
        defer { Task { await first.stop() } }
        let second = QAServer(host: "127.0.0.1", port: port)
        await #expect(throws: QAServerError.self) { try await second.start() }
    }
}

@Suite("QA server admin API (stations sharing one server)")
struct QAAdminTests {
    static func call(_ method: String, _ url: String, token: String?, body: [UInt8]? = nil) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    @Test("a remote station opens a session, the board uses it, the station reads evidence and verdict")
    func remoteStation() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0, publicURL: "http://qa.line.example:8123", adminToken: "s3cret")
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let base = "http://127.0.0.1:\(port)"
        let (denied, _) = try await Self.call("POST", base + "/admin/sessions", token: "wrong",
                                              body: Array(#"{"board_id":"b1"}"#.utf8))
        #expect(denied == 401)
        let (status, body) = try await Self.call("POST", base + "/admin/sessions", token: "s3cret",
                                                 body: Array(#"{"board_id":"b1"}"#.utf8))
        #expect(status == 200)
        let ticket = try JSONDecoder().decode(QASessionTicket.self, from: Data(body))
        #expect(ticket.boardID == "b1")
        // Boards are told the public URL; here the "board" reaches the same server on loopback.
        #expect(ticket.sessionURL == "http://qa.line.example:8123/qa/\(ticket.sessionID)")
        let (got, _) = try await QAServerTests.get(base + "/qa/\(ticket.sessionID)/get")
        #expect(got == 200)
        let (evidenceStatus, evidenceBody) = try await Self.call("GET", base + "/admin/sessions/\(ticket.sessionID)", token: "s3cret")
        #expect(evidenceStatus == 200)
        let evidence = try JSONDecoder().decode(QASessionEvidence.self, from: Data(evidenceBody))
        #expect(evidence.observations.map(\.check) == ["get"])
        let (verdictStatus, verdictBody) = try await Self.call("GET", base + "/admin/sessions/\(ticket.sessionID)/verdict", token: "s3cret")
        #expect(verdictStatus == 200)
        let verdict = try JSONDecoder().decode(QAVerdict.self, from: Data(verdictBody))
        #expect(!verdict.pass && verdict.failure == .noReport)
        let (noCA, _) = try await Self.call("GET", base + "/admin/ca.pem", token: "s3cret")
        #expect(noCA == 404)
    }

    /// A posted plan with a negative or huge size used to be accepted, and the server then died
    /// when any client (no token needed) fetched that session's content.
    @Test("a plan out of bounds is refused with 400 naming the field; the server keeps serving",
          arguments: [
              (#""getBytes":-1"#, "getBytes must be 1–16777216 (got -1)"),
              (#""gzipBytes":9223372036854775807"#, "gzipBytes must be 1–16777216"),
              (#""bodyLimit":-5"#, "bodyLimit must be 1–"),
              (#""downloadBytes":4294967296"#, "downloadBytes must be 1–16777216"),
              (#""uploadBytes":0"#, "uploadBytes must be 1–16777216"),
              (#""deadlineMs":-1"#, "deadlineMs must be 1–"),
              (#""checkTimeoutMs":9223372036854775807"#, "checkTimeoutMs must be 1–86400000"),
          ])
    func planOutOfBoundsIsRefused(change: (String, String)) async throws {
        let (field, reason) = change
        let server = QAServer(host: "127.0.0.1", port: 0, adminToken: "s3cret")
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let base = "http://127.0.0.1:\(port)"
        let good = try JSONEncoder().encode(QAPlan())
        var plan = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
        let (key, value) = try #require(try JSONSerialization.jsonObject(with: Data("{\(field)}".utf8)) as? [String: Any]).first!
        plan[key] = value
        let body = try JSONSerialization.data(withJSONObject: ["board_id": "b1", "plan": plan])
        let (status, answer) = try await Self.call("POST", base + "/admin/sessions", token: "s3cret", body: Array(body))
        #expect(status == 400)
        let error = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [String: String])["error"]
        #expect(error?.contains(reason) == true, "\(error ?? "")")
        #expect(error?.hasPrefix("QA plan: ") == true)

        // The server is alive, and a valid plan still opens a session whose content is served.
        let (ok, ticketBody) = try await Self.call("POST", base + "/admin/sessions", token: "s3cret",
                                                   body: Array(#"{"board_id":"b2"}"#.utf8))
        #expect(ok == 200)
        let ticket = try JSONDecoder().decode(QASessionTicket.self, from: Data(ticketBody))
        #expect(try await QAServerTests.get(base + "/qa/\(ticket.sessionID)/get").0 == 200)
    }

    @Test func theDefaultAndTheShippedPlansAreWithinBounds() throws {
        try QAPlan().validate()
        try QAPlan(checks: QACheck.allCases, attachBudgetMs: 86_400_000, checkTimeoutMs: 86_400_000,
                   uploadBytes: 16 * 1024 * 1024).validate()
    }

    @Test("without an admin token the admin API does not exist")
    func disabledWithoutToken() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let (status, _) = try await Self.call("POST", "http://127.0.0.1:\(port)/admin/sessions", token: "x",
                                              body: Array(#"{"board_id":"b1"}"#.utf8))
        #expect(status == 404)
    }
}
