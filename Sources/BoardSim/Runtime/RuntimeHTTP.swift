import AsyncHTTPClient
import Foundation
import NIOSSL

/// One `http.request` as the script asked for it.
struct RuntimeHTTPRequest: Sendable {
    let id: Int
    let method: String
    let url: String
    let headers: [(String, String)]
    let body: [UInt8]?
    let timeout: Duration
    /// Host path for `opts.dst` (download-to-file), already mapped into the sandbox.
    let destination: String?
    /// PEM text given as `ca_file` (server certificate to trust for https).
    let caPEM: String?
}

/// What `.wait()` returns: `code, headers, body` — or a negative LuatOS error code.
struct RuntimeHTTPOutcome: Sendable {
    var code: Int
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// For `opts.dst`: the body went to the file and `.wait()` returns its size instead.
    var downloadedSize: Int?

    static func failure(_ code: LuatOSHTTPError) -> RuntimeHTTPOutcome { RuntimeHTTPOutcome(code: code.rawValue) }
}

/// The negative codes of LuatOS `http.request` (from the HTTP tutorial's table).
public enum LuatOSHTTPError: Int, Sendable, CaseIterable {
    case state = -1, header = -2, body = -3, connect = -4, close = -5, receive = -6, download = -7
    case timeout = -8, fota = -9
}

/// Performs the simulated board's HTTP requests for real, one client per runtime.
final class RuntimeHTTPClient: Sendable {
    private let client: HTTPClient
    let faults: NetworkFaults
    let maxResponseBytes: Int

    init(faults: NetworkFaults, maxResponseBytes: Int) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = .seconds(10)
        // The firmware makes one attempt per request: a refused connection is -4 at once, not a retry.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.faults = faults
        self.maxResponseBytes = maxResponseBytes
    }

    func shutdown() async { try? await client.shutdown() }

    func perform(_ request: RuntimeHTTPRequest) async -> RuntimeHTTPOutcome {
        if faults.extraLatency > .zero { try? await Task.sleep(for: faults.extraLatency) }
        if let marker = faults.dropConnectionsMatching, request.url.contains(marker) {
            return .failure(.close)
        }
        if request.caPEM != nil, request.url.lowercased().hasPrefix("https:") {
            return await performTLS(request)
        }
        return await performPlain(request, client: client)
    }

    /// https with the script's `ca_file`: a client that trusts exactly that certificate. Without a
    /// CA, LuatOS does not verify the server (mbedTLS verify-none), and the shared client does the same.
    private func performTLS(_ request: RuntimeHTTPRequest) async -> RuntimeHTTPOutcome {
        guard let pem = request.caPEM, let roots = try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)), !roots.isEmpty else {
            return .failure(.connect)
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(roots)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.connectionPool.retryConnectionEstablishment = false
        let tlsClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let outcome = await performPlain(request, client: tlsClient)
        try? await tlsClient.shutdown()
        return outcome
    }

    private func performPlain(_ request: RuntimeHTTPRequest, client: HTTPClient) async -> RuntimeHTTPOutcome {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .init(rawValue: request.method.uppercased())
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if var body = request.body {
            if let marker = faults.alterRequestBodyMatching, request.url.contains(marker), !body.isEmpty {
                body[body.count / 2] ^= 0x01
            }
            outgoing.body = .bytes(body)
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, timeout: .nanoseconds(Int64(request.timeout.nanosecondsClamped)))
        } catch {
            return .failure(Self.classify(error))
        }
        var outcome = RuntimeHTTPOutcome(code: Int(response.status.code))
        outcome.headers = response.headers.map { ($0.name, $0.value) }
        var body: [UInt8]
        do {
            let buffer = try await response.body.collect(upTo: maxResponseBytes)
            body = Array(buffer.readableBytesView)
        } catch {
            let code = Self.classify(error)
            return .failure(code == .state ? .body : code)
        }
        if let marker = faults.corruptResponseBodyMatching, request.url.contains(marker), !body.isEmpty {
            body[body.count / 2] ^= 0x01
        }
        if let destination = request.destination {
            guard (try? Data(body).write(to: URL(fileURLWithPath: destination), options: .atomic)) != nil else {
                return .failure(.download)
            }
            outcome.downloadedSize = body.count
        } else {
            outcome.body = body
        }
        return outcome
    }

    /// Maps a client error onto the LuatOS code the firmware would report.
    static func classify(_ error: Error) -> LuatOSHTTPError {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return .timeout
            case .remoteConnectionClosed: return .close
            case .invalidURL: return .connect
            default: break
            }
        }
        let text = String(describing: error).lowercased()
        if text.contains("timeout") || text.contains("timed out") { return .timeout }
        if text.contains("refused") || text.contains("connect") || text.contains("resolve")
            || text.contains("unreachable") { return .connect }
        if text.contains("closed") || text.contains("reset") || text.contains("eof") { return .close }
        return .state
    }
}

extension Duration {
    /// Nanoseconds, clamped to Int64 (durations here are at most minutes).
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds > 9_000_000_000 ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
