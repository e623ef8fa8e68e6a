import Foundation

/// One `http.request` as the script asked for it.
struct RuntimeHTTPRequest: Sendable {
    let id: Int
    let method: String
    let url: String
    let headers: [(String, String)]
    let body: [UInt8]?
    /// `opts.timeout`: the request's one-shot timer; nil when the script asked for none (0).
    let timeout: Duration?
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
    /// Lines the firmware's http client logs on the way (re-requests, TLS refusals).
    var log: [String] = []
    /// Every address a connection was attempted to (`SimulatedNetwork` keeps them local).
    var connections: [String] = []

    init(code: Int, log: [String] = []) {
        self.code = code
        self.log = log
    }

    static func failure(_ code: LuatOSHTTPError, log: String? = nil) -> RuntimeHTTPOutcome {
        RuntimeHTTPOutcome(code: code.rawValue, log: log.map { [$0] } ?? [])
    }
}

/// The negative codes of LuatOS `http.request` (the tutorial's table; `luat_http.h`).
public enum LuatOSHTTPError: Int, Sendable, CaseIterable {
    case state = -1, header = -2, body = -3, connect = -4, close = -5, receive = -6, download = -7
    case timeout = -8, fota = -9
}

extension Duration {
    /// Nanoseconds, clamped to Int64 (durations here are at most minutes).
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds > 9_000_000_000 ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
