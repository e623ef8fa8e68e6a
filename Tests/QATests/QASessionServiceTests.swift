import AsyncHTTPClient
import Crypto
import Foundation
import QA
import Testing
import TestSupport

/// A board's side of one session, without a simulated board: the signed GET of its get check and
/// its signed report, with the hash it computed (or a wrong one).
enum SignedBoard {
    static func runGetCheck(_ ticket: QASessionTicket, boardBase: String, hashRight: Bool) async throws {
        let url = boardBase + "/qa/\(ticket.sessionID)/get"
        let answer = try await QARangeTests.get(url, key: ticket.key)
        #expect(answer.status == 200)
        let hash = hashRight ? QAContent.sha256(answer.body) : String(repeating: "0", count: 64)
        let report = Array(#"{"sid":"\#(ticket.sessionID)","imei":"862011060000010","iccid":"89860022100000010001","csq":20,"fw":"V1112","checks":[{"name":"get","code":200,"ms":5,"ok":true,"hash":"\#(hash)"}]}"#.utf8)
        let (status, _) = try await QAServerTests.post(boardBase + "/qa/\(ticket.sessionID)/report", body: report,
                                                       headers: [("X-QA-Signature", QAServerTests.sign(report, key: ticket.key))])
        #expect(status == 200)
    }
}

@Suite("QA sessions behind QASessionService: the in-process server and a shared server's client")
struct QASessionServiceTests {
    enum Implementation: String, CaseIterable, CustomTestStringConvertible {
        case inProcess, sharedClient
        var testDescription: String { rawValue }
    }

    static let token = "s3cret-admin"

    static func service(_ kind: Implementation, _ server: QAServer, port: Int) throws -> any QASessionService {
        switch kind {
        case .inProcess: return server
        case .sharedClient: return try SharedQAServerClient(serverURL: "http://127.0.0.1:\(port)/", adminToken: token)
        }
    }

    @Test("a station's round through either implementation: open, board runs, judge with board events, close",
          arguments: Implementation.allCases)
    func stationRound(kind: Implementation) async throws {
        let server = QAServer(host: "127.0.0.1", port: 0, adminToken: Self.token)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let service = try Self.service(kind, server, port: port)
        let base = "http://127.0.0.1:\(port)"
        #expect(try await service.publicURL == base)
        #expect(try await service.caPEM == nil)

        let plan = QAPlan(checks: [.get], deadlineMs: 600_000)
        let good = try await service.createSession(boardID: "good", plan: plan)
        let bad = try await service.createSession(boardID: "bad", plan: plan)
        let silent = try await service.createSession(boardID: "silent", plan: plan)
        #expect(good.boardID == "good" && good.plan == plan && good.sessionURL == "\(base)/qa/\(good.sessionID)")
        #expect(Set([good.sessionID, bad.sessionID, silent.sessionID]).count == 3)
        try await SignedBoard.runGetCheck(good, boardBase: base, hashRight: true)
        try await SignedBoard.runGetCheck(bad, boardBase: base, hashRight: false)

        let passed = try #require(try await service.verdict(sessionID: good.sessionID, boardEvents: []))
        #expect(passed.pass && passed.sessionID == good.sessionID && passed.imei == "862011060000010")
        let failed = try #require(try await service.verdict(sessionID: bad.sessionID, boardEvents: []))
        #expect(!failed.pass && failed.failure == .contentMismatch)
        // The board's events reach the judge: without them a silent board has no report; with an
        // attach failure from its x.6 port, it never attached.
        let unexplained = try #require(try await service.verdict(sessionID: silent.sessionID, boardEvents: []))
        #expect(unexplained.failure == .noReport)
        let attach = QABoardEvent.parse(Array(#"{"ev":"attach","ok":false,"ms":5000}"#.utf8))
        let explained = try #require(try await service.verdict(sessionID: silent.sessionID, boardEvents: attach))
        #expect(explained.failure == .noNetworkAttach)
        // The same verdict the server gives in process (the client carries it over unchanged).
        #expect(try await service.verdict(sessionID: bad.sessionID, boardEvents: [])?.checks
                == server.verdict(sessionID: bad.sessionID, boardEvents: [])?.checks)

        try await service.closeSession(good.sessionID)
        #expect(try await service.verdict(sessionID: good.sessionID, boardEvents: []) == nil)
        try await service.closeSession(good.sessionID)  // already gone: not an error
        #expect(await server.evidence(sessionID: bad.sessionID) != nil)
    }

    @Test("the client gives the https listener's CA and both public URLs")
    func clientGivesCA() async throws {
        let identity = try QATLSIdentity.selfSigned(host: "127.0.0.1")
        let server = QAServer(host: "127.0.0.1", port: 0, publicURL: "http://qa.line.example:8123", adminToken: Self.token,
                              tls: identity)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let client = try SharedQAServerClient(serverURL: "http://127.0.0.1:\(port)", adminToken: Self.token)
        #expect(try await client.publicURL == "http://qa.line.example:8123")
        #expect(try await client.caPEM == identity.certificatePEM)
        #expect(server.caPEM == identity.certificatePEM)
        let ticket = try await client.createSession(boardID: "tls", plan: QAPlan(checks: [.https]))
        let httpsPort = try #require(await server.boundHTTPSPort)
        #expect(ticket.httpsSessionURL == "https://127.0.0.1:\(httpsPort)/qa/\(ticket.sessionID)")
    }

    @Test("client errors name the server and the reason: wrong token, refused plan, unreachable, no admin API")
    func clientErrors() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0, adminToken: Self.token)
        let port = try await server.start()
        let url = "http://127.0.0.1:\(port)"
        let wrong = try SharedQAServerClient(serverURL: url, adminToken: "not-the-token")
        let denied = await #expect(throws: SharedQAServerError.self) {
            _ = try await wrong.createSession(boardID: "b", plan: QAPlan())
        }
        #expect(denied?.kind == .tokenRefused)
        #expect(denied?.description.hasPrefix("QA server \(url): admin token refused (401)") == true, "\(denied!)")
        #expect(await server.openSessionCount() == 0)

        let client = try SharedQAServerClient(serverURL: url, adminToken: Self.token)
        let refused = await #expect(throws: SharedQAServerError.self) {
            _ = try await client.createSession(boardID: "b", plan: QAPlan(getBytes: -1))
        }
        #expect(refused?.kind == .refused(status: 400))
        #expect(refused?.description.contains("getBytes must be 1–16777216 (got -1)") == true, "\(refused!)")

        await server.stop()
        // A port nothing listens on any more (its server stopped before anyone connected).
        let gone = QAServer(host: "127.0.0.1", port: 0, adminToken: Self.token)
        let gonePort = try await gone.start()
        await gone.stop()
        let goneURL = "http://127.0.0.1:\(gonePort)"
        // AsyncHTTPClient retries a refused connection until the request's time is up: 1 s here.
        let unreachable = try SharedQAServerClient(serverURL: goneURL, adminToken: Self.token, timeout: .seconds(1))
        let down = await #expect(throws: SharedQAServerError.self) { _ = try await unreachable.publicURL }
        #expect(down?.kind == .unreachable)
        #expect(down?.description.hasPrefix("QA server \(goneURL): unreachable") == true, "\(down!)")

        let noAdmin = QAServer(host: "127.0.0.1", port: 0)
        let plainPort = try await noAdmin.start()
        defer { Task { await noAdmin.stop() } }
        let noAPI = try SharedQAServerClient(serverURL: "http://127.0.0.1:\(plainPort)", adminToken: Self.token)
        let missing = await #expect(throws: SharedQAServerError.self) { _ = try await noAPI.caPEM }
        #expect(missing?.kind == .refused(status: 404))

        #expect(throws: SharedQAServerError.self) { _ = try SharedQAServerClient(serverURL: "qa.line:8123", adminToken: "t") }
    }

    /// A server answering what the admin API never would: the client refuses it before a
    /// station could build a board image from it.
    @Test("tickets and verdicts out of shape or range are refused",
          arguments: [
              ("plan", #"{"getBytes":-1}"#, "getBytes must be"),
              ("board_id", #""someone-else""#, "ticket is for board"),
              ("nonce", #""zz""#, "malformed session nonce or key"),
              ("sessionURL", #""ftp://x/qa/0123456789abcdef""#, "is not an http(s) URL of session"),
          ])
    func outOfRangeAnswers(change: (String, String, String)) async throws {
        let (field, value, reason) = change
        // A ticket as the admin API answers it, then one field changed.
        let plan = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(QAPlan())) as? [String: Any])
        var object: [String: Any] = ["sessionID": "0123456789abcdef", "boardID": "b",
                                     "sessionURL": "http://qa/qa/0123456789abcdef",
                                     "nonce": String(repeating: "a", count: 32), "key": String(repeating: "b", count: 32),
                                     "plan": plan]
        let replacement = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        if field == "plan", let overrides = replacement as? [String: Any], var plan = object["plan"] as? [String: Any] {
            for (k, v) in overrides { plan[k] = v }
            object["plan"] = plan
        } else {
            object[field == "board_id" ? "boardID" : field] = replacement
        }
        let body = try JSONSerialization.data(withJSONObject: object)
        let fake = try ScriptedServer { _ in
            [.send(ScriptedServer.answer(200, "OK", body: Array(body), headers: ["Content-Type: application/json", "Connection: close"]))]
        }
        let client = try SharedQAServerClient(serverURL: "http://127.0.0.1:\(fake.port)", adminToken: Self.token)
        let error = await #expect(throws: SharedQAServerError.self) {
            _ = try await client.createSession(boardID: "b", plan: QAPlan())
        }
        #expect(error?.kind == .badAnswer)
        #expect(error?.description.contains(reason) == true, "\(error.map { "\($0)" } ?? "")")

        // A verdict for another session, or with a deadline out of range.
        let verdict = QAVerdict(sessionID: "fedcba9876543210", boardID: "b", pass: true, failure: nil, checks: [],
                                imei: nil, iccid: nil, csq: nil, firmware: nil, reportAtMs: nil, deadlineMs: -5, notes: [])
        let verdictBody = try JSONEncoder().encode(verdict)
        let fakeJudge = try ScriptedServer { _ in [.send(ScriptedServer.answer(200, "OK", body: Array(verdictBody), headers: ["Connection: close"]))] }
        let judged = try SharedQAServerClient(serverURL: "http://127.0.0.1:\(fakeJudge.port)", adminToken: Self.token)
        let other = await #expect(throws: SharedQAServerError.self) {
            _ = try await judged.verdict(sessionID: "0123456789abcdef", boardEvents: [])
        }
        #expect(other?.description.contains("verdict is for session fedcba9876543210") == true)
        let ranged = await #expect(throws: SharedQAServerError.self) {
            _ = try await judged.verdict(sessionID: "fedcba9876543210", boardEvents: [])
        }
        #expect(ranged?.description.contains("deadline -5 ms is out of range") == true, "\(ranged.map { "\($0)" } ?? "")")
    }

    /// A session store that is down: every call fails.
    struct DownStore: QASessionStore {
        struct Down: Error, CustomStringConvertible { var description: String { "store down for maintenance" } }
        func session(_ sessionID: String) async throws -> QAStoredSession? { throw Down() }
        func insertSession(_ sessionID: String, state: [UInt8], keepUntil: Date) async throws -> Bool { throw Down() }
        func replaceSession(_ sessionID: String, state: [UInt8], keepUntil: Date, version: Int64) async throws -> Bool {
            throw Down()
        }
        func deleteSession(_ sessionID: String, version: Int64?) async throws -> Bool { throw Down() }
        func deleteSessions(keptUntilBefore date: Date) async throws { throw Down() }
        func sessionCount() async throws -> Int { throw Down() }
    }

    @Test("a server whose session store is down: 503 with the reason to a station, lost (never passed) in process, 500 to a board")
    func storeDown() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0, adminToken: Self.token, sessionStore: DownStore())
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let client = try SharedQAServerClient(serverURL: "http://127.0.0.1:\(port)", adminToken: Self.token)
        let error = await #expect(throws: SharedQAServerError.self) {
            _ = try await client.createSession(boardID: "b", plan: QAPlan())
        }
        #expect(error?.kind == .serverFailed(status: 503))
        #expect(error?.description.contains("store down for maintenance") == true, "\(error.map { "\($0)" } ?? "")")
        let verdictError = await #expect(throws: SharedQAServerError.self) {
            _ = try await client.verdict(sessionID: "0123456789abcdef", boardEvents: [])
        }
        #expect(verdictError?.kind == .serverFailed(status: 503))

        let ticket = await server.createSession(boardID: "in-process", plan: QAPlan(checks: [.get]))
        #expect(await server.verdict(sessionID: ticket.sessionID, boardEvents: []) == nil)
        let answer = try await QARangeTests.get(ticket.sessionURL + "/get", key: ticket.key)
        #expect(answer.status == 500)
    }
}
