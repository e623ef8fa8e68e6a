import Firmware
import AsyncHTTPClient
import Foundation
import NIOCore

/// QA sessions from a shared `provision qa-server`, over its `/admin` API (bearer admin token):
/// what a station uses instead of its own in-process `QAServer` when a line shares one server.
///
/// Everything the server answers is checked before a station builds a board's image from it:
/// a ticket must be for the board and plan asked, with a session id, nonce and key of the
/// server's shapes and URLs a board can use; numbers in verdicts must be in range.
public struct SharedQAServerClient: QASessionService {
    /// The server's base URL, without a trailing slash (as errors name it).
    public let serverURL: String
    private let adminToken: String
    private let http: HTTPClient
    private let timeout: Duration

    /// Largest answer read: a verdict with every check and note, or a PEM chain.
    static let answerLimit = 4 << 20
    /// Per-request limit by default: a station waits this long at most for one answer.
    public static let defaultTimeout: Duration = .seconds(15)

    /// - Parameters:
    ///   - serverURL: the server's base URL as the station reaches it (`http(s)://host:port`).
    ///   - adminToken: the server's `--admin-token`.
    ///   - httpClient: the client to send with (the shared one by default; its owner shuts it down).
    /// - Throws: `SharedQAServerError` (`.badURL`) when `serverURL` is not an http(s) URL with a host.
    public init(serverURL: String, adminToken: String, httpClient: HTTPClient = .shared,
                timeout: Duration = SharedQAServerClient.defaultTimeout) throws(SharedQAServerError) {
        let trimmed = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        guard WebURL.isValid(trimmed, schemes: ["http", "https"]) else {
            throw SharedQAServerError(serverURL: serverURL, kind: .badURL, reason: "not an http(s) URL with a host")
        }
        guard !adminToken.isEmpty else {
            throw SharedQAServerError(serverURL: trimmed, kind: .tokenRefused, reason: "no admin token given")
        }
        self.serverURL = trimmed
        self.adminToken = adminToken
        self.http = httpClient
        self.timeout = timeout
    }

    public var publicURL: String {
        get async throws { try await addresses().publicURL }
    }

    public var caPEM: String? {
        get async throws {
            guard try await addresses().publicHTTPSURL != nil else { return nil }
            let (_, body) = try await call("GET", "/admin/ca.pem")
            let pem = String(decoding: body, as: UTF8.self)
            guard pem.contains("-----BEGIN CERTIFICATE-----") else {
                throw bad("/admin/ca.pem", "no PEM certificate in the answer")
            }
            return pem
        }
    }

    public func createSession(boardID: String, plan: QAPlan) async throws -> QASessionTicket {
        struct NewSession: Encodable {
            let boardID: String
            let plan: QAPlan
            enum CodingKeys: String, CodingKey { case boardID = "board_id", plan }
        }
        let path = "/admin/sessions"
        let (_, body) = try await call("POST", path, body: try JSONEncoder().encode(NewSession(boardID: boardID, plan: plan)))
        let ticket: QASessionTicket = try decode(body, path)
        try check(ticket, boardID: boardID, plan: plan, path)
        return ticket
    }

    public func verdict(sessionID: String, boardEvents: [QABoardEvent]) async throws -> QAVerdict? {
        let path = "/admin/sessions/\(try sessionPath(sessionID))/verdict"
        let request = QAAdminRoutes.VerdictRequest(boardEvents: boardEvents)
        let (status, body) = try await call("POST", path, body: try JSONEncoder().encode(request), missingIsNil: true)
        guard status != 404 else { return nil }
        let verdict: QAVerdict = try decode(body, path)
        try check(verdict, sessionID: sessionID, path)
        return verdict
    }

    public func closeSession(_ sessionID: String) async throws {
        // The handover in the answer is not needed: the station judged the session already.
        _ = try await call("DELETE", "/admin/sessions/\(try sessionPath(sessionID))", missingIsNil: true)
    }

    /// Where the server sends boards.
    public func addresses() async throws -> QAServerAddresses {
        let path = "/admin/server"
        let (_, body) = try await call("GET", path)
        let addresses: QAServerAddresses = try decode(body, path)
        guard WebURL.isValid(addresses.publicURL, schemes: ["http", "https"]) else {
            throw bad(path, "public URL \"\(addresses.publicURL.prefix(200))\" is not an http(s) URL")
        }
        if let https = addresses.publicHTTPSURL, !WebURL.isValid(https, schemes: ["https"]) {
            throw bad(path, "public https URL \"\(https.prefix(200))\" is not an https URL")
        }
        return addresses
    }

    // MARK: - Requests

    /// Sends one admin request; returns the status and body of a 2xx answer (or of a 404 when
    /// `missingIsNil`: an unknown session). Every other outcome is a `SharedQAServerError`.
    private func call(_ method: String, _ path: String, body: Data? = nil,
                      missingIsNil: Bool = false) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: serverURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(body))
        }
        let status: Int
        let bytes: [UInt8]
        do {
            let response = try await http.execute(request, timeout: TimeAmount(timeout))
            status = Int(response.status.code)
            do {
                bytes = Array(try await response.body.collect(upTo: Self.answerLimit).readableBytesView)
            } catch {
                throw bad(path, "answer unreadable or larger than \(Self.answerLimit) bytes (\(error))")
            }
        } catch let error as SharedQAServerError {
            throw error
        } catch {
            throw SharedQAServerError(serverURL: serverURL, kind: .unreachable,
                                      reason: "unreachable (\(method) \(path): \(error))")
        }
        switch status {
        case 200..<300: return (status, bytes)
        case 404 where missingIsNil && Self.serverReason(bytes) == "unknown session": return (status, bytes)
        case 401:
            throw SharedQAServerError(serverURL: serverURL, kind: .tokenRefused,
                                      reason: "admin token refused (401): check the token given for this server")
        case 400..<500:
            throw SharedQAServerError(serverURL: serverURL, kind: .refused(status: status),
                                      reason: "\(method) \(path) refused (\(status)): \(Self.shown(bytes))")
        default:
            throw SharedQAServerError(serverURL: serverURL, kind: .serverFailed(status: status),
                                      reason: "\(method) \(path) failed (\(status)): \(Self.shown(bytes))")
        }
    }

    /// The server's `{"error": …}`, if the body is one.
    private static func serverReason(_ body: [UInt8]) -> String? {
        (try? JSONDecoder().decode([String: String].self, from: Data(body)))?["error"]
    }

    /// The server's reason, or the start of its body, for a message.
    private static func shown(_ body: [UInt8]) -> String {
        if let reason = serverReason(body) { return reason }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return text.isEmpty ? "no reason given" : text
    }

    private func decode<T: Decodable>(_ body: [UInt8], _ path: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(body)) }
        catch { throw bad(path, "answer is not the admin API's JSON (\(error))") }
    }

    private func bad(_ path: String, _ reason: String) -> SharedQAServerError {
        SharedQAServerError(serverURL: serverURL, kind: .badAnswer, reason: "\(path): \(reason)")
    }

    // MARK: - Checks on what the server answered

    /// A session id as the server issues them (lowercase hex of a fixed length), so it can go
    /// into a path as it is.
    private func sessionPath(_ sessionID: String) throws -> String {
        guard Self.isHex(sessionID, count: QAServerState.sessionIDLength) else {
            throw SharedQAServerError(serverURL: serverURL, kind: .refused(status: 0),
                                      reason: "\"\(sessionID.prefix(40))\" is not a session id this server issues")
        }
        return sessionID
    }

    private func check(_ ticket: QASessionTicket, boardID: String, plan: QAPlan, _ path: String) throws {
        let sid = ticket.sessionID
        guard Self.isHex(sid, count: QAServerState.sessionIDLength) else { throw bad(path, "malformed session id") }
        guard ticket.boardID == boardID else { throw bad(path, "ticket is for board \"\(ticket.boardID.prefix(80))\"") }
        do { try ticket.plan.validate() } catch { throw bad(path, "\(error)") }
        // The board runs and is judged by the plan in the ticket: it must be the one asked for.
        guard ticket.plan == plan else { throw bad(path, "ticket carries another plan than the one asked for") }
        // Nonce and key are QARandom.hex(bytes: 16) on the server.
        guard Self.isHex(ticket.nonce, count: 32), Self.isHex(ticket.key, count: 32) else {
            throw bad(path, "malformed session nonce or key")
        }
        guard WebURL.isValid(ticket.sessionURL, schemes: ["http", "https"]), ticket.sessionURL.hasSuffix("/qa/\(sid)") else {
            throw bad(path, "session URL \"\(ticket.sessionURL.prefix(200))\" is not an http(s) URL of session \(sid)")
        }
        if let https = ticket.httpsSessionURL, !(WebURL.isValid(https, schemes: ["https"]) && https.hasSuffix("/qa/\(sid)")) {
            throw bad(path, "https session URL \"\(https.prefix(200))\" is not an https URL of session \(sid)")
        }
    }

    private func check(_ verdict: QAVerdict, sessionID: String, _ path: String) throws {
        guard verdict.sessionID == sessionID else { throw bad(path, "verdict is for session \(verdict.sessionID.prefix(40))") }
        guard QAPlan.Bounds.deadlineMs.contains(verdict.deadlineMs) else {
            throw bad(path, "deadline \(verdict.deadlineMs) ms is out of range")
        }
        // Times the server measured from the session's start can never be negative.
        let times = [verdict.reportAtMs] + verdict.checks.map(\.serverAtMs)
        guard times.allSatisfy({ ($0 ?? 0) >= 0 }) else { throw bad(path, "a negative time since the session began") }
        guard verdict.pass == (verdict.failure == nil) else { throw bad(path, "verdict passes and fails at once") }
    }

    private static func isHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A URL with one of `schemes` and a host.
}
