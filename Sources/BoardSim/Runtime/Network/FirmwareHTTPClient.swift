import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// The simulated board's HTTP client, behaving as the V1112 firmware's does
/// (LuatOS `components/network/libhttp/luat_http_client.c`, `luat_lib_http.c`):
///
/// - only `GET`, `POST` and `PUT`, and only a lower-case `http://` or `https://` URL; anything
///   else cannot start and is -4 at once;
/// - trouble on the network once the request started (refused, unknown name, reset, a TLS
///   handshake the board refuses) is -5; the request's one-shot timer firing before the
///   headers is -8;
/// - a drop or a timeout after the headers arrived re-requests the rest, up to
///   `FirmwareHTTPBehaviour.reRequestLimit` times, with `Range: bytes=N-`, appending what comes
///   back; the one-shot timer is not restarted, so once it fired a re-request waits without a
///   timeout;
/// - every connection goes through `SimulatedNetwork`: nothing leaves this machine.
struct FirmwareHTTPClient: Sendable {
    let network: SimulatedNetwork
    let faults: NetworkFaults
    let maxResponseBytes: Int
    let behaviour: FirmwareHTTPBehaviour
    /// The 4G link's round trip and rate, paid by every attempt.
    let cellLink: CellLinkTiming
    /// Waits until the 4G link is up or the deadline passes: the firmware's `network_connect`
    /// waits for link-up instead of failing (`luat_network_adapter.c`).
    let link: LinkState
    /// The board's wall clock now (for certificate dates).
    let boardTime: @Sendable () -> Date

    func perform(_ request: RuntimeHTTPRequest) async -> RuntimeHTTPOutcome {
        var connections: [String] = []
        var outcome = await exchange(request, connections: &connections)
        outcome.connections = connections
        return outcome
    }

    private func exchange(_ request: RuntimeHTTPRequest, connections: inout [String]) async -> RuntimeHTTPOutcome {
        if faults.extraLatency > .zero { try? await Task.sleep(for: faults.extraLatency) }
        guard behaviour.methods.contains(request.method) else {
            return .failure(.connect, log: "E/http method \(request.method) is not supported (GET, POST, PUT)")
        }
        guard let url = FirmwareURL(request.url, caPEM: request.caPEM) else {
            return .failure(.connect, log: "E/http bad url \(request.url)")
        }
        if let marker = faults.dropConnectionsMatching, request.url.contains(marker) {
            return .failure(.close, log: "E/http connection dropped")
        }
        var requestBody = request.body
        if let marker = faults.alterRequestBodyMatching, request.url.contains(marker), var body = requestBody, !body.isEmpty {
            body[body.count / 2] ^= 0x01
            requestBody = body
        }

        // The one-shot timer: `opts.timeout` ms from the start, 0 = none.
        var deadline: ContinuousClock.Instant? = request.timeout.map { ContinuousClock.now + $0 }
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        var reRequests = 0
        var log: [String] = []
        while true {
            let resumeAt = head == nil ? nil : body.count + behaviour.rangeStartOffset
            await simulatedPause(cellLink.outbound(sentBytes: requestBody?.count ?? 0))
            let attempt = await self.attempt(url: url, method: request.method, headers: request.headers,
                                             body: requestBody, rangeFrom: resumeAt, deadline: deadline,
                                             cutAfter: cutAfter(request.url, reRequests: reRequests))
            if let endpoint = attempt.endpoint { connections.append(endpoint) }
            await simulatedPause(cellLink.inbound(receivedBytes: attempt.body.count))
            if attempt.timedOut { deadline = nil }
            if let attemptHead = attempt.head {
                // The firmware keeps its body (and its open `dst` file) across a re-request and
                // appends whatever the new answer brings, without checking for 206: a server that
                // ignores `Range` makes it append the whole body again. `.wait()` reports the
                // last status line.
                head = attemptHead
                body += attempt.body
            }
            if body.count > maxResponseBytes {
                return .failure(.body, log: "E/http body larger than \(maxResponseBytes) bytes")
            }
            switch attempt.ending {
            case .complete:
                guard let head else { return .failure(.header) }
                return finish(request, head: head, body: body, log: log)
            case .failed(let why):
                log.append("W/http \(why)")
                let code: LuatOSHTTPError = attempt.timedOut ? .timeout : attempt.connected ? .close : behaviour.connectFailure
                // Before any headers: the request fails with the code of what happened.
                guard head != nil else { return RuntimeHTTPOutcome(code: code.rawValue, log: log) }
                reRequests += 1
                // Once the re-requests are used up, the code of the last trouble is reported.
                guard reRequests <= behaviour.reRequestLimit else { return RuntimeHTTPOutcome(code: code.rawValue, log: log) }
                log.append("I/http re-request \(reRequests) with Range: bytes=\(body.count + behaviour.rangeStartOffset)-")
            }
        }
    }

    /// After `n` body bytes of this attempt the simulated link drops (fault `cutResponses`).
    private func cutAfter(_ url: String, reRequests: Int) -> Int? {
        guard let cut = faults.cutResponses, url.contains(cut.marker), reRequests < cut.times else { return nil }
        return cut.afterBytes
    }

    private func finish(_ request: RuntimeHTTPRequest, head: HTTPResponseHead, body: [UInt8], log: [String]) -> RuntimeHTTPOutcome {
        var body = body
        if let marker = faults.corruptResponseBodyMatching, request.url.contains(marker), !body.isEmpty {
            body[body.count / 2] ^= 0x01
        }
        var outcome = RuntimeHTTPOutcome(code: Int(head.status.code), log: log)
        outcome.headers = head.headers.map { ($0.name, $0.value) }
        guard let destination = request.destination else {
            outcome.body = body
            return outcome
        }
        // With `opts.dst` the body goes to the file and `.wait()` gives its size; a status above
        // 299 removes the file (LuatOS `luat_lib_http.c`).
        if head.status.code > 299 {
            try? FileManager.default.removeItem(atPath: destination)
            outcome.downloadedSize = 0
            return outcome
        }
        guard FileManager.default.createFile(atPath: destination, contents: Data(body)) else {
            return .failure(.download, log: "E/http cannot write \(destination)")
        }
        outcome.downloadedSize = body.count
        return outcome
    }

    // MARK: - One connection

    private struct Attempt {
        enum Ending { case complete, failed(String) }
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        var ending: Ending = .failed("no answer")
        var timedOut = false
        /// The TCP (and TLS) connection was made: trouble after this is a drop (-5).
        var connected = false
        /// Where a connection was attempted (always on this machine).
        var endpoint: String?
    }

    private enum Wire: Sendable {
        case active, head(HTTPResponseHead), body(ByteBuffer), end, closed, failed(String), timedOut
    }

    private func attempt(url: FirmwareURL, method: String, headers: [(String, String)], body: [UInt8]?,
                         rangeFrom: Int?, deadline: ContinuousClock.Instant?, cutAfter: Int?) async -> Attempt {
        var result = Attempt()
        let endpoint: SimulatedNetwork.Endpoint
        switch network.route(host: url.host, port: url.port) {
        case .connect(let e):
            endpoint = e
            result.endpoint = e.description
        case .unknownName:
            result.ending = .failed("dns: \(url.host) did not resolve")
            return result
        case .offMachine:
            result.ending = .failed("\(url.host) is not reachable from a simulated board")
            return result
        }
        guard await link.waitUntilUp(deadline: deadline) else {
            result.timedOut = true
            result.ending = .failed("timeout waiting for the network")
            return result
        }

        let (wire, continuation) = AsyncStream.makeStream(of: Wire.self)
        let tlsFailure = TLSFailureBox()
        let channel: Channel
        do {
            channel = try await connect(endpoint, url: url, deadline: deadline, continuation: continuation,
                                        tlsFailure: tlsFailure)
        } catch {
            let timedOut = deadline.map { $0 <= .now } ?? false
            result.timedOut = timedOut
            result.ending = .failed(timedOut ? "timeout while connecting" : "connect \(endpoint): \(error)")
            return result
        }
        // A plain connection is up once TCP is; a TLS one once its handshake completed.
        if !url.secure { continuation.yield(.active) }
        let timer = deadline.map { deadline in
            Task {
                try? await Task.sleep(until: deadline)
                guard !Task.isCancelled else { return }
                continuation.yield(.timedOut)
                channel.close(promise: nil)
            }
        }
        defer {
            timer?.cancel()
            channel.close(promise: nil)
        }

        channel.write(HTTPClientRequestPart.head(requestHead(url: url, method: method, headers: headers,
                                                             bodyCount: body?.count, rangeFrom: rangeFrom)), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)

        for await event in wire {
            switch event {
            case .active:
                result.connected = true
            case .head(let head):
                result.head = head
            case .body(var chunk):
                result.body += chunk.readBytes(length: chunk.readableBytes) ?? []
                if let cutAfter, result.body.count >= cutAfter {
                    result.body = Array(result.body.prefix(cutAfter))
                    result.ending = .failed("link dropped after \(cutAfter) body bytes")
                    return result
                }
            case .end:
                result.ending = .complete
                return result
            case .timedOut:
                result.timedOut = true
                result.ending = .failed("timeout")
                return result
            case .closed:
                if let failure = tlsFailure.withLock({ $0 }) {
                    result.ending = .failed("tls: \(failure)")
                } else {
                    result.ending = .failed(result.head == nil ? "connection closed before the headers" : "connection closed mid-body")
                }
                return result
            case .failed(let why):
                if let failure = tlsFailure.withLock({ $0 }) {
                    result.ending = .failed("tls: \(failure)")
                } else {
                    result.ending = .failed(why)
                }
                return result
            }
        }
        return result
    }

    private func requestHead(url: FirmwareURL, method: String, headers: [(String, String)], bodyCount: Int?,
                             rangeFrom: Int?) -> HTTPRequestHead {
        var fields = HTTPHeaders()
        // The firmware adds Host unless the script gave one, and always sets Content-Length
        // itself for a string body, dropping the script's (`luat_http_client.c`).
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { fields.add(name: "Host", value: url.hostHeader) }
        for (name, value) in headers {
            // A header that would break the request line is dropped rather than sent.
            guard !name.isEmpty, !(name + value).contains(where: { $0 == "\r" || $0 == "\n" }) else { continue }
            if name.lowercased() == "content-length" { continue }
            fields.add(name: name, value: value)
        }
        if let bodyCount { fields.add(name: "Content-Length", value: String(bodyCount)) }
        if let rangeFrom { fields.add(name: "Range", value: "bytes=\(rangeFrom)-") }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: url.path, headers: fields)
    }

    private func connect(_ endpoint: SimulatedNetwork.Endpoint, url: FirmwareURL, deadline: ContinuousClock.Instant?,
                         continuation: AsyncStream<Wire>.Continuation,
                         tlsFailure: TLSFailureBox) async throws -> Channel {
        var tls: (NIOSSLContext, BoardTLSVerifier?)?
        if url.secure {
            var configuration = TLSConfiguration.makeClientConfiguration()
            // The board has no system trust store: only the CA the script passes counts (and the
            // host's own store may not exist at all, as in the kernel tier's guest).
            configuration.trustRoots = .certificates([])
            let verifier: BoardTLSVerifier?
            if let caPEM = url.caPEM {
                // With a CA the board verifies; our callback replaces BoringSSL's whole check.
                configuration.certificateVerification = .noHostnameVerification
                do { verifier = try BoardTLSVerifier(caPEM: caPEM) }
                catch { tlsFailure.withLock { $0 = error }; throw error }
            } else {
                // Without a CA the firmware sets MBEDTLS_SSL_VERIFY_NONE.
                configuration.certificateVerification = .none
                verifier = nil
            }
            tls = (try NIOSSLContext(configuration: configuration), verifier)
        }
        let host = url.host, boardTime = self.boardTime, tlsSetup = tls
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let deadline {
            let remaining = max(Duration.milliseconds(1), deadline - .now)
            bootstrap = bootstrap.connectTimeout(.nanoseconds(Int64(remaining.nanosecondsClamped)))
        } else {
            bootstrap = bootstrap.connectTimeout(.nanoseconds(Int64(behaviour.connectTimeout.nanosecondsClamped)))
        }
        let initializer: @Sendable (Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let sync = channel.pipeline.syncOperations
                if let (context, verifier) = tlsSetup {
                    try sync.addHandler(try Self.tlsHandler(context, verifier: verifier, host: host, boardTime: boardTime,
                                                            tlsFailure: tlsFailure))
                }
                try sync.addHTTPClientHandlers()
                try sync.addHandler(WireCollector(continuation))
            }
        }
        return try await bootstrap.channelInitializer(initializer).connect(host: endpoint.host, port: endpoint.port).get()
    }

    /// The TLS client side: verify-none without a CA, the board's own check with one.
    private static func tlsHandler(_ context: NIOSSLContext, verifier: BoardTLSVerifier?, host: String,
                                   boardTime: @escaping @Sendable () -> Date,
                                   tlsFailure: TLSFailureBox) throws -> NIOSSLClientHandler {
        guard let verifier else { return try NIOSSLClientHandler(context: context, serverHostname: nil) }
        let callback: NIOSSLCustomVerificationCallback = { certificates, promise in
            let der = certificates.compactMap { try? $0.toDERBytes() }
            do throws(BoardTLSVerifier.Failure) {
                try verifier.verify(chainDER: der, host: host, time: boardTime())
                promise.succeed(.certificateVerified)
            } catch {
                tlsFailure.withLock { $0 = error }
                promise.succeed(.failed)
            }
        }
        return try NIOSSLClientHandler(context: context, serverHostname: nil, customVerificationCallback: callback)
    }

    /// Hands the decoded response to the attempt's stream.
    private final class WireCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let continuation: AsyncStream<Wire>.Continuation

        init(_ continuation: AsyncStream<Wire>.Continuation) { self.continuation = continuation }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            // The TLS handshake finished: the board is connected.
            if case .handshakeCompleted = event as? TLSUserEvent { continuation.yield(.active) }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): continuation.yield(.head(head))
            case .body(let chunk): continuation.yield(.body(chunk))
            case .end: continuation.yield(.end)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.yield(.closed)
            continuation.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            continuation.yield(.failed("\(error)"))
            context.close(promise: nil)
        }
    }
}

/// Why the board refused the server's certificate, written on the event loop during the
/// handshake and read by the request afterwards.
final class TLSFailureBox: Sendable {
    private let failure = Mutex<BoardTLSVerifier.Failure?>(nil)
    func withLock<R>(_ body: (inout BoardTLSVerifier.Failure?) -> R) -> R { failure.withLock { body(&$0) } }
}

/// The firmware HTTP client's behaviour where LuatOS versions around V1112 differ: the 2024-08
/// `luat_http_client.c` is not public in a stored copy, and the 2023 and 2025 versions disagree.
/// Defaults follow the 2023 client (`HTTP_RE_REQUEST_MAX`) and shared/spec §5A; a real board
/// corrects them here.
public struct FirmwareHTTPBehaviour: Sendable, Equatable {
    /// `http_set_url` refuses other methods with -4 (2025); the 2023 client sent any method.
    public var methods: Set<String> = ["GET", "POST", "PUT"]
    /// Re-requests after a drop or timeout once the headers arrived: `HTTP_RE_REQUEST_MAX` (3)
    /// in 2023; the 2025 client's `retry_cnt_max` is never set from Lua (0).
    public var reRequestLimit = 3
    /// Added to the received length in `Range: bytes=N-`: the 2023 client sent `body_len+1`,
    /// skipping a byte; 2025 sends `body_len`.
    public var rangeStartOffset = 0
    /// What `.wait()` gives when the connection cannot be made (refused, unknown name, TLS
    /// refused): -5 in the 2023 client (every network event error), -4 in 2025 (errors on
    /// `EV_NW_RESULT_CONNECT`).
    public var connectFailure = LuatOSHTTPError.close
    /// Without a script timeout, how long a connection attempt may take [I].
    public var connectTimeout = Duration.seconds(30)

    public init() {}
}

/// A URL as the firmware's client splits it: a lower-case scheme, the host up to the first `:`
/// or `/`, an optional port, the rest as the path (`luat_http_client.c`).
struct FirmwareURL: Sendable, Equatable {
    let secure: Bool
    let host: String
    let port: Int
    let path: String
    var caPEM: String?

    init?(_ text: String, caPEM: String? = nil) {
        let rest: Substring
        if text.hasPrefix("http://") { secure = false; rest = text.dropFirst(7) }
        else if text.hasPrefix("https://") { secure = true; rest = text.dropFirst(8) }
        else { return nil }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        path = authorityEnd == rest.endIndex ? "/" : String(rest[authorityEnd...])
        if let colon = authority.firstIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty, !path.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) else { return nil }
        self.caPEM = caPEM
    }

    var hostHeader: String { port == (secure ? 443 : 80) ? host : "\(host):\(port)" }
}
