import AsyncHTTPClient
import Crypto
import Foundation
import QA
import Records
import Station
import Testing
import TestSupport

/// A board's side of a session, signed with its key as the QA script signs: GETs of its get
/// check and its report. `base` is whichever server a load balancer sent the request to.
enum StoreBoard {
    static func sign(_ message: [UInt8], key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(key.utf8)))
            .map { String(format: "%02X", $0) }.joined()
    }

    static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    /// A signed GET of the get check; returns the content served.
    static func get(_ ticket: QASessionTicket, base: String) async throws -> [UInt8] {
        let path = "/qa/\(ticket.sessionID)/get"
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "X-QA-Signature", value: sign(Array(("GET" + path + hex([]).uppercased()).utf8), key: ticket.key))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = Array(try await response.body.collect(upTo: 1 << 22).readableBytesView)
        #expect(response.status.code == 200)
        return body
    }

    /// The board's signed report, with the hash it computed of the content it got.
    static func report(_ ticket: QASessionTicket, base: String, hash: String) async throws {
        let body = Array(#"{"sid":"\#(ticket.sessionID)","imei":"86201106000\#(ticket.boardID.count)","iccid":"8986","csq":20,"fw":"V1112","checks":[{"name":"get","code":200,"ms":5,"ok":true,"hash":"\#(hash)"}]}"#.utf8)
        var request = HTTPClientRequest(url: base + "/qa/\(ticket.sessionID)/report")
        request.method = .POST
        request.headers.add(name: "X-QA-Signature", value: sign(body, key: ticket.key))
        request.body = .bytes(body)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        #expect(response.status.code == 200)
    }
}

/// `provision qa-server --db`: QA servers whose sessions live in the results store.
@Suite("QA sessions kept in the results store (shared and restartable QA servers)")
struct SharedQASessionTests {
    static let token = "line-token"

    /// A QA server on 127.0.0.1 over its own connection to the store at `url`, as another process
    /// (or the same one restarted) would have it, and a station's client of it.
    final class Instance: Sendable {
        let server: QAServer
        let store: SQLResultsStore
        let base: String
        let client: SharedQAServerClient

        init(storeURL: String, retention: Duration = QAServer.defaultSessionRetention) async throws {
            store = try await StoreURL.open(storeURL)
            server = QAServer(host: "127.0.0.1", port: 0, publicURL: "http://qa.line.example", adminToken: SharedQASessionTests.token,
                              sessionRetention: retention, sessionStore: StoredQASessions(store: store))
            let port = try await server.start()
            base = "http://127.0.0.1:\(port)"
            client = try SharedQAServerClient(serverURL: base, adminToken: SharedQASessionTests.token)
        }

        func stop() async {
            await server.stop()
            await store.close()
        }
    }

    static func sqliteURL() throws -> String { try SharedStateTests.sqliteURL() }

    /// Two servers on one store: sessions opened on either are served and judged by the other;
    /// a board's requests spread over both, even at once, are all recorded in its own session.
    static func twoServers(_ url: String) async throws {
        let a = try await Instance(storeURL: url)
        let b = try await Instance(storeURL: url)
        let plan = QAPlan(checks: [.get], deadlineMs: 600_000)
        let good = try await a.client.createSession(boardID: "good", plan: plan)
        let wrong = try await b.client.createSession(boardID: "wrong-hash", plan: plan)

        // The good board's GETs go to both servers at once (a load balancer), its report to A.
        let spread = 12
        let contents = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for i in 0..<spread { group.addTask { try await StoreBoard.get(good, base: i.isMultiple(of: 2) ? a.base : b.base) } }
            return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(Set(contents).count == 1)
        try await StoreBoard.report(good, base: a.base, hash: StoreBoard.hex(contents[0]))
        let wrongContent = try await StoreBoard.get(wrong, base: a.base)
        #expect(wrongContent != contents[0])
        try await StoreBoard.report(wrong, base: b.base, hash: StoreBoard.hex(contents[0]))

        let judgedByB = try #require(try await b.client.verdict(sessionID: good.sessionID, boardEvents: []))
        #expect(judgedByB.pass, "\(judgedByB)")
        let judgedByA = try #require(try await a.client.verdict(sessionID: good.sessionID, boardEvents: []))
        #expect(judgedByA == judgedByB)
        let wrongVerdict = try #require(try await a.client.verdict(sessionID: wrong.sessionID, boardEvents: []))
        #expect(!wrongVerdict.pass && wrongVerdict.failure == .contentMismatch)

        // Nothing lost (every concurrent GET is recorded), nothing crossed sessions.
        let evidence = try #require(await b.server.evidence(sessionID: good.sessionID))
        #expect(evidence.observations.filter { $0.check == "get" }.count == spread)
        #expect(evidence.observations.allSatisfy { $0.path.hasPrefix("/qa/\(good.sessionID)/") })
        let other = try #require(await a.server.evidence(sessionID: wrong.sessionID))
        #expect(other.observations.count == 2)
        #expect(other.observations.allSatisfy { $0.path.hasPrefix("/qa/\(wrong.sessionID)/") })
        #expect(other.report?.sid == wrong.sessionID && evidence.report?.sid == good.sessionID)

        // Closed through one, gone from both.
        try await b.client.closeSession(good.sessionID)
        #expect(try await a.client.verdict(sessionID: good.sessionID, boardEvents: []) == nil)
        #expect(await a.server.openSessionCount() == 1)
        await a.stop()
        await b.stop()
    }

    /// A server stopped mid-session and started again on the same store keeps the session and
    /// its evidence, and judges it the same.
    static func restart(_ url: String) async throws {
        let first = try await Instance(storeURL: url)
        let plan = QAPlan(checks: [.get], deadlineMs: 600_000)
        let ticket = try await first.client.createSession(boardID: "restarted", plan: plan)
        let content = try await StoreBoard.get(ticket, base: first.base)
        let before = try #require(await first.server.evidence(sessionID: ticket.sessionID))
        await first.stop()

        let second = try await Instance(storeURL: url)
        let kept = try #require(await second.server.evidence(sessionID: ticket.sessionID))
        #expect(kept == before)
        // The board, still running, reports to the restarted server.
        try await StoreBoard.report(ticket, base: second.base, hash: StoreBoard.hex(content))
        let verdict = try #require(try await second.client.verdict(sessionID: ticket.sessionID, boardEvents: []))
        #expect(verdict.pass, "\(verdict)")
        await second.stop()

        let third = try await Instance(storeURL: url)
        let again = try #require(try await third.client.verdict(sessionID: ticket.sessionID, boardEvents: []))
        #expect(again == verdict)
        try await third.client.closeSession(ticket.sessionID)
        #expect(await third.server.openSessionCount() == 0)
        await third.stop()
    }

    @Test("SQLite file: a session opened through one server is served and judged by the other")
    func twoServersSQLite() async throws { try await Self.twoServers(try Self.sqliteURL()) }

    @Test("SQLite file: a restarted server still has the session, its evidence and verdict")
    func restartSQLite() async throws { try await Self.restart(try Self.sqliteURL()) }

    @Test("PostgreSQL: a session opened through one server is served and judged by the other")
    func twoServersPostgres() async throws {
        try await PostgresServer.withServerURL("SharedQASessionTests") { try await Self.twoServers($0) }
    }

    @Test("PostgreSQL: a restarted server still has the session, its evidence and verdict")
    func restartPostgres() async throws {
        try await PostgresServer.withServerURL("SharedQASessionTests") { try await Self.restart($0) }
    }

    @Test("a store-kept session nobody closed is swept once past its deadline and the retention")
    func abandonedSessionsAreSwept() async throws {
        let instance = try await Instance(storeURL: try Self.sqliteURL(), retention: .zero)
        let abandoned = try await instance.client.createSession(boardID: "gone", plan: QAPlan(deadlineMs: 1))
        let live = try await instance.client.createSession(boardID: "live", plan: QAPlan(deadlineMs: 600_000))
        // Swept as sessions open, once the clock is past the 1 ms deadline: no sleep, sessions are
        // opened until then (bounded far above what it takes).
        let end = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < end, try await instance.client.verdict(sessionID: abandoned.sessionID, boardEvents: []) != nil {
            let next = try await instance.client.createSession(boardID: "next", plan: QAPlan(deadlineMs: 600_000))
            try await instance.client.closeSession(next.sessionID)
        }
        #expect(try await instance.client.verdict(sessionID: abandoned.sessionID, boardEvents: []) == nil)
        #expect(try await instance.client.verdict(sessionID: live.sessionID, boardEvents: []) != nil)
        await instance.stop()
    }
}
