import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore

/// The QA server: per-board sessions with a random nonce and key, endpoints the board's QA script
/// calls (GET, form POST, multipart upload, download, JSON echo, gzip, signed report), and a
/// record of what it really received and served. Embedded in the station or run alone
/// (`provision qa-server`); several stations can share one.
///
/// The board only ever sees `publicURL` (a tunnel or cloud host may sit in front).
public actor QAServer {
    public let host: String
    public let requestedPort: Int
    private let configuredPublicURL: String?
    private let adminToken: String?
    private let tls: QATLSIdentity?
    private let requestedHTTPSPort: Int
    private let configuredPublicHTTPSURL: String?
    private var httpsTask: Task<Void, Error>?
    /// The https listener's port (after `start`, when the server has a TLS identity).
    public private(set) var boundHTTPSPort: Int?
    let state: QAServerState
    /// Random bytes in a session id (shown as twice as many hex characters).
    static let sessionIDBytes = 8
    /// How long an unclosed session is kept past its deadline by default (see `sessionRetention`).
    public static let defaultSessionRetention: Duration = .seconds(15 * 60)
    /// How long a connection may send nothing (mid-request, or between requests) before the
    /// server closes it. Boards reach the server over the internet, so anyone can open
    /// connections and leave them half-sent; without a limit a few hundred such sockets use up
    /// the descriptors the boards need. Twice the board's own request timeout (15 s by default,
    /// `QAPlan.checkTimeoutMs`), so a board still waiting on its request is never cut first.
    public static let defaultIdleTimeout: Duration = .seconds(30)
    private let idleTimeout: Duration
    /// How long one request may take to arrive whole, head and body (`RequestTimeLimit`): a
    /// board's largest request (the multipart upload) takes well under a second on 4G, and its own
    /// request timeout is 15 s; a client trickling bytes to dodge the idle timeout is cut here.
    public static let defaultRequestTimeLimit: Duration = .seconds(60)
    private let requestTimeLimit: Duration
    private var runTask: Task<Void, Error>?
    /// The port actually bound (after `start`).
    public private(set) var boundPort: Int?

    /// - Parameters:
    ///   - host: address to listen on (`127.0.0.1` in tests).
    ///   - port: port to listen on; 0 picks a free one (see `boundPort`).
    ///   - publicURL: the base URL boards use, when not `http://host:port`.
    ///   - adminToken: enables the `/admin/…` endpoints for remote stations (bearer token).
    ///   - tls: certificate and key for the https check's listener (`httpsPort`, 0 = any free port).
    ///   - sessionRetention: how long past its deadline a session nobody closed is kept before
    ///     the server forgets it (checked as sessions are opened).
    ///   - idleTimeout: how long a connection may send nothing before it is closed
    ///     (`defaultIdleTimeout`).
    ///   - requestTimeLimit: how long one request may take to arrive whole
    ///     (`defaultRequestTimeLimit`).
    ///   - sessionStore: where sessions are kept so they outlive this process and can be shared
    ///     with other servers on the same store; nil keeps them in memory. With a store, the
    ///     in-process session methods below cannot report a store failure: a session that could
    ///     not be opened or read reads as lost (`verdict` nil), never as passed. The `/admin` API,
    ///     which is how stations reach a shared server, answers 503 with the reason.
    public init(host: String = "127.0.0.1", port: Int = 0, publicURL: String? = nil, adminToken: String? = nil,
                tls: QATLSIdentity? = nil, httpsPort: Int = 0, publicHTTPSURL: String? = nil,
                sessionRetention: Duration = QAServer.defaultSessionRetention,
                idleTimeout: Duration = QAServer.defaultIdleTimeout,
                requestTimeLimit: Duration = QAServer.defaultRequestTimeLimit,
                sessionStore: (any QASessionStore)? = nil) {
        self.idleTimeout = idleTimeout
        self.requestTimeLimit = requestTimeLimit
        self.state = QAServerState(retention: sessionRetention, store: sessionStore)
        self.adminToken = adminToken
        self.tls = tls
        self.requestedHTTPSPort = httpsPort
        self.configuredPublicHTTPSURL = publicHTTPSURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.host = host
        self.requestedPort = port
        self.configuredPublicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// The base URL boards are given.
    public var publicURL: String {
        configuredPublicURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(boundPort ?? requestedPort)"
    }

    /// The https base URL boards are given for the https check, when there is a TLS listener.
    public var publicHTTPSURL: String? {
        guard tls != nil else { return nil }
        return configuredPublicHTTPSURL
            ?? "https://\(host.contains(":") ? "[\(host)]" : host):\(boundHTTPSPort ?? requestedHTTPSPort)"
    }

    /// The certificate boards trust for the https check (the https listener's), when there is one.
    public nonisolated var caPEM: String? { tls?.certificatePEM }

    /// Starts listening; returns the bound port. Throws when the address cannot be bound.
    @discardableResult
    public func start() async throws -> Int {
        if let boundPort { return boundPort }
        let port = try await listen(router: plainRouter(), port: requestedPort, tls: nil) { self.runTask = $0 }
        boundPort = port
        if let tls {
            let configuration: TLSConfiguration
            do {
                configuration = try tls.serverConfiguration()
            } catch {
                await stop()
                throw QAServerError(reason: "TLS certificate or key unusable: \(error)")
            }
            do {
                boundHTTPSPort = try await listen(router: QARoutes.tlsRouter(state: state), port: requestedHTTPSPort,
                                                  tls: configuration) { self.httpsTask = $0 }
            } catch {
                await stop()
                throw error
            }
        }
        return port
    }

    private func plainRouter() -> Router<BasicRequestContext> {
        let router = QARoutes.router(state: state)
        if let adminToken, !adminToken.isEmpty {
            QAAdminRoutes.add(to: router, token: adminToken, state: state, certificatePEM: tls?.certificatePEM,
                              addresses: { [weak self] in
                                  guard let self else { throw QAServerError(reason: "the server is stopping") }
                                  return await QAServerAddresses(publicURL: self.publicURL,
                                                                 publicHTTPSURL: self.publicHTTPSURL)
                              },
                              createSession: { [weak self] board, plan in
                                  guard let self else { throw QAServerError(reason: "the server is stopping") }
                                  return try await self.openSession(boardID: board, plan: plan)
                              })
        }
        return router
    }

    /// Runs one listener; returns its bound port once it accepts connections.
    private func listen(router: Router<BasicRequestContext>, port requested: Int, tls: TLSConfiguration?,
                        keep: (Task<Void, Error>) -> Void) async throws -> Int {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "provision.qa-server")
        logger.logLevel = .critical
        // Hummingbird's connection state handler closes a connection that read nothing for this
        // long, whether it is between requests or in the middle of one (a half-sent head or body).
        let limit = TimeAmount(requestTimeLimit)
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [RequestTimeLimit(limit: limit)],
                                               idleTimeout: TimeAmount(idleTimeout))
        let app = Application(router: router,
                              server: try tls.map { try .tls(.http1(configuration: http1), tlsConfiguration: $0) }
                                  ?? .http1(configuration: http1),
                              configuration: .init(address: .hostname(host, port: requested), serverName: nil),
                              onServerRunning: { channel in
                                  portSink.yield(channel.localAddress?.port ?? 0)
                                  portSink.finish()
                              },
                              logger: logger)
        let (errors, errorSink) = AsyncStream.makeStream(of: String.self)
        let task = Task {
            do { try await app.runService(gracefulShutdownSignals: []) }
            catch { errorSink.yield("\(error)"); portSink.finish(); throw error }
            errorSink.finish()
            portSink.finish()
        }
        keep(task)
        var port: Int?
        for await p in ports { port = p; break }
        guard let port, port > 0 else {
            var reason = "could not listen"
            for await e in errors { reason = e; break }
            throw QAServerError(reason: "cannot listen on \(host):\(requested): \(reason)")
        }
        return port
    }

    /// Stops listening and waits for the server to shut down.
    public func stop() async {
        for task in [runTask, httpsTask].compactMap({ $0 }) {
            task.cancel()
            _ = try? await task.value
        }
        runTask = nil
        httpsTask = nil
    }

    /// Opens a session for one board: a fresh session id, nonce and key. (A session a store
    /// failed to keep reads as lost later; see `init`.)
    public func createSession(boardID: String, plan: QAPlan = QAPlan()) async -> QASessionTicket {
        let ticket = newTicket(boardID: boardID, plan: plan)
        try? await state.add(ticket)
        return ticket
    }

    /// `createSession` that reports a session store's failure (the admin API's).
    func openSession(boardID: String, plan: QAPlan) async throws -> QASessionTicket {
        let ticket = newTicket(boardID: boardID, plan: plan)
        try await state.add(ticket)
        return ticket
    }

    private func newTicket(boardID: String, plan: QAPlan) -> QASessionTicket {
        let sid = QARandom.hex(bytes: Self.sessionIDBytes)
        return QASessionTicket(sessionID: sid, boardID: boardID, sessionURL: "\(publicURL)/qa/\(sid)",
                               httpsSessionURL: publicHTTPSURL.map { "\($0)/qa/\(sid)" },
                               nonce: QARandom.hex(bytes: 16),
                               key: QARandom.hex(bytes: 16), plan: plan)
    }

    /// Everything the server recorded for a session.
    public func evidence(sessionID: String) async -> QASessionEvidence? { try? await state.evidence(sessionID) }

    /// The latest requests refused because they named no known session (at most
    /// `QAServerState.unknownKept`, ids cut to a real id's length), oldest first.
    public func unknownSessionRejections() async -> [QARejection] { await state.unknownRejections }

    /// How many requests were refused for naming no known session since the server started.
    public func unknownSessionRequestCount() async -> Int { await state.unknownCount }

    /// Sessions the server holds now.
    public func openSessionCount() async -> Int { (try? await state.count()) ?? 0 }

    /// The verdict for a session as of now, from the server's evidence and the board's VUART events.
    public func verdict(sessionID: String, boardEvents: [QABoardEvent] = []) async -> QAVerdict? {
        guard let (evidence, elapsed) = try? await state.evidenceAndAge(sessionID) else { return nil }
        return QAJudge.verdict(evidence: evidence, boardEvents: boardEvents, elapsedMs: elapsed)
    }

    /// Forgets a finished session.
    public func closeSession(_ sessionID: String) async { try? await state.remove(sessionID) }

    /// Judges a finished session and forgets it in one step, handing over its evidence and verdict
    /// (what `DELETE /admin/sessions/<id>` gives a remote station); nil for an unknown session.
    public func finishSession(_ sessionID: String, boardEvents: [QABoardEvent] = []) async -> QASessionHandover? {
        guard let (evidence, elapsed) = try? await state.take(sessionID) else { return nil }
        return QASessionHandover(evidence: evidence,
                                 verdict: QAJudge.verdict(evidence: evidence, boardEvents: boardEvents, elapsedMs: elapsed))
    }
}

public struct QAServerError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { "QA server: \(reason)" }
}

extension QATLSIdentity {
    /// Which half of an identity TLS refused.
    enum UnusablePart: Error {
        case certificate(String), privateKey(String)
    }

    /// The https listener's TLS configuration. `load` calls it too, so a certificate or key the
    /// listener would refuse is refused while the files are still known (bad input), not later
    /// when the listener starts.
    func serverConfiguration() throws(UnusablePart) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)) }
        catch { throw .certificate("\(error)") }
        guard !chain.isEmpty else { throw .certificate("no PEM certificate in it") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem) }
        catch { throw .privateKey("\(error)") }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                        privateKey: .privateKey(key))
    }
}
