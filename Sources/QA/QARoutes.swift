import Deflate
import Foundation
import Hummingbird
import Vocabulary

/// The endpoints under `/qa/<session>/`. Each records an observation (or a rejection) in the
/// state before answering, so the evidence never depends on the board's account. When a session
/// store fails, the handler throws and the board gets a 500: its check fails rather than passing
/// unrecorded.
enum QARoutes {
    static func router(state: QAServerState) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/qa/:sid/get") { request, context in
            try await serve(.get, endpoint: "get", label: QAContent.getLabel, count: { $0.getBytes }, request, context, state)
        }
        router.get("/qa/:sid/download") { request, context in
            try await serve(.download, endpoint: "download", label: QAContent.downloadLabel, count: { $0.downloadBytes }, request, context, state)
        }
        router.get("/qa/:sid/gzip") { request, context in
            try await gzip(request, context, state)
        }
        router.post("/qa/:sid/form") { request, context in
            try await form(request, context, state)
        }
        router.post("/qa/:sid/upload") { request, context in
            try await upload(request, context, state)
        }
        router.post("/qa/:sid/json") { request, context in
            try await jsonEcho(request, context, state)
        }
        router.post("/qa/:sid/report") { request, context in
            try await report(request, context, state)
        }
        return router
    }

    /// The https listener: only the https check's endpoint, so a plain-http request cannot pass it.
    static func tlsRouter(state: QAServerState) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/qa/:sid/https") { request, context in
            try await serve(.https, endpoint: "https", label: QAContent.getLabel, count: { $0.getBytes }, request, context, state)
        }
        return router
    }

    // MARK: - Helpers

    private static func session(_ request: Request, _ context: BasicRequestContext,
                                _ state: QAServerState) async throws -> (String, QASessionTicket)? {
        let sid = context.parameters.get("sid") ?? ""
        guard let ticket = try await known(sid, request, state) else { return nil }
        return (sid, ticket)
    }

    /// The session's ticket, or nil (and a counted refusal) for an unknown session. An id longer
    /// than the server ever issues is refused without a lookup.
    private static func known(_ sid: String, _ request: Request, _ state: QAServerState) async throws -> QASessionTicket? {
        guard sid.utf8.count <= QAServerState.sessionIDLength else {
            try await state.reject(sid, path: request.uri.path, status: 404,
                               reason: "session id longer than \(QAServerState.sessionIDLength) characters")
            return nil
        }
        guard let ticket = try await state.ticket(sid) else {
            try await state.reject(sid, path: request.uri.path, status: 404, reason: "unknown session")
            return nil
        }
        return ticket
    }

    private static func respond(_ status: HTTPResponse.Status, _ body: [UInt8],
                                contentType: String = "application/json", extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        respond(status, Array((message + "\n").utf8), contentType: "text/plain; charset=utf-8")
    }

    /// The request body, or nil (and a recorded 413) when it exceeds the session's limit.
    private static func body(_ request: Request, limit: Int, sid: String,
                             _ state: QAServerState) async throws -> [UInt8]? {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            try await state.reject(sid, path: request.uri.path, status: 413, reason: "body larger than \(limit) bytes")
            return nil
        }
    }

    /// Why a request is not the board's own, or nil when it carries the board's signature for
    /// exactly this method, endpoint and body (see `QASignature.request`). The session path is
    /// rebuilt from the route, not taken from the board's URL, so a tunnel or proxy in front of
    /// the server (a different public URL) does not change what is signed.
    private static func interference(_ request: Request, sid: String, endpoint: String, body: [UInt8],
                                     key: String) -> String? {
        guard let signature = request.headers[.init(QASignature.header)!] else { return "no X-QA-Signature: not the board's request" }
        let method = request.method.rawValue
        guard QASignature.verify(QASignature.request(method: method, path: "/qa/\(sid)/\(endpoint)", body: body),
                                 key: key, signature: signature) else {
            return "X-QA-Signature does not match the session key: not the board's request"
        }
        return nil
    }

    private static func json(_ object: Any) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { [UInt8]($0) } ?? Array("{}".utf8)
    }

    // MARK: - Endpoints

    /// Answers a GET for `bytes` honouring `Range` (206 / 416 / 200 with `Accept-Ranges`), and
    /// records it: a ranged answer is its own observation naming the bytes it carried, with
    /// `hash` (the whole content's) as the served hash, so a board that resumed a dropped
    /// download is judged on the whole content (see `QAJudge`).
    private static func serveRanged(_ check: QACheck, bytes: [UInt8], hash: String, wholeNote: String,
                                    contentType: String, extra: HTTPFields = [:], request: Request, sid: String,
                                    interference: String?, _ state: QAServerState) async throws -> Response {
        let asked = request.headers[values: .range]
        var headers = extra
        headers[.acceptRanges] = "bytes"
        switch QAByteRange.parse(asked, total: bytes.count) {
        case .full:
            let note = asked.isEmpty ? wholeNote : wholeNote + " (Range \"\(asked.joined(separator: ", "))\" ignored)"
            try await state.observe(sid) {
                QAObservation(check: check.rawValue, atMs: $0, method: "GET", path: request.uri.path, status: 200,
                              receivedBytes: 0, receivedSHA256: nil, servedSHA256: hash, matched: true, note: note,
                              interference: interference)
            }
            return respond(.ok, bytes, contentType: contentType, extra: headers)
        case .partial(let part):
            let served = QAServedRange(first: part.lowerBound, last: part.upperBound - 1, total: bytes.count)
            headers[.contentRange] = served.contentRange
            try await state.observe(sid) {
                QAObservation(check: check.rawValue, atMs: $0, method: "GET", path: request.uri.path, status: 206,
                              receivedBytes: 0, receivedSHA256: nil, servedSHA256: hash, matched: true,
                              note: "served \(served.contentRange) for Range \"\(asked[0])\"", range: served,
                              interference: interference)
            }
            return respond(.partialContent, Array(bytes[part]), contentType: contentType, extra: headers)
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(bytes.count)"
            try await state.observe(sid) {
                QAObservation(check: check.rawValue, atMs: $0, method: "GET", path: request.uri.path, status: 416,
                              receivedBytes: 0, receivedSHA256: nil, servedSHA256: nil, matched: true,
                              note: "Range \"\(asked[0])\" past the end of \(bytes.count) bytes",
                              interference: interference)
            }
            return respond(.rangeNotSatisfiable, [], contentType: contentType, extra: headers)
        }
    }

    private static func serve(_ check: QACheck, endpoint: String, label: String, count: (QAPlan) -> Int, _ request: Request,
                              _ context: BasicRequestContext, _ state: QAServerState) async throws -> Response {
        guard let (sid, ticket) = try await session(request, context, state) else { return text(.notFound, "unknown session") }
        let bytes = QAContent.bytes(nonce: ticket.nonce, label: label, count: count(ticket.plan))
        return try await serveRanged(check, bytes: bytes, hash: QAContent.sha256(bytes),
                                 wholeNote: "served \(bytes.count) nonce-derived bytes",
                                 contentType: "application/octet-stream", request: request, sid: sid,
                                 interference: interference(request, sid: sid, endpoint: endpoint, body: [], key: ticket.key),
                                 state)
    }

    private static func gzip(_ request: Request, _ context: BasicRequestContext,
                             _ state: QAServerState) async throws -> Response {
        guard let (sid, ticket) = try await session(request, context, state) else { return text(.notFound, "unknown session") }
        let plain = QAContent.bytes(nonce: ticket.nonce, label: QAContent.gzipLabel, count: ticket.plan.gzipBytes)
        // A gzip wrapper without a file name has a 10-byte header, which the board's script skips.
        // Ranges count bytes of this compressed body (the representation with its content coding).
        let compressed = Zlib.deflate(plain, windowBits: Zlib.gzipWindowBits) ?? []
        return try await serveRanged(.gzip, bytes: compressed, hash: QAContent.sha256(plain),
                                 wholeNote: "served \(plain.count) bytes gzip-compressed to \(compressed.count)",
                                 contentType: "text/plain", extra: [.contentEncoding: "gzip"],
                                 request: request, sid: sid,
                                 interference: interference(request, sid: sid, endpoint: "gzip", body: [], key: ticket.key),
                                 state)
    }

    private static func form(_ request: Request, _ context: BasicRequestContext,
                             _ state: QAServerState) async throws -> Response {
        guard let (sid, ticket) = try await session(request, context, state) else { return text(.notFound, "unknown session") }
        guard let received = try await body(request, limit: ticket.plan.bodyLimit, sid: sid, state) else {
            return text(.contentTooLarge, "body too large")
        }
        let foreign = interference(request, sid: sid, endpoint: "form", body: received, key: ticket.key)
        let fields = QAHTTPParsing.formFields(received)
        var problems: [String] = []
        let token = QAContent.block(nonce: ticket.nonce, label: QAContent.formLabel, index: 1)
        if fields["token"] != token { problems.append("token \(fields["token"] ?? "missing") is not the nonce's") }
        if fields["text"] != QAContent.formText { problems.append("text field arrived as \(fields["text"] ?? "missing")") }
        if (fields["imei"] ?? "").isEmpty { problems.append("imei missing") }
        let fieldList = fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: "&")
        let matched = problems.isEmpty
        let note = matched ? "fields: \(fieldList)" : problems.joined(separator: "; ")
        try await state.observe(sid) {
            QAObservation(check: QACheck.formPost.rawValue, atMs: $0, method: "POST", path: request.uri.path,
                          status: 200, receivedBytes: received.count, receivedSHA256: QAContent.sha256(received),
                          servedSHA256: nil, matched: matched, note: note, interference: foreign)
        }
        return respond(.ok, json(["form": fields, "matched": problems.isEmpty]))
    }

    private static func upload(_ request: Request, _ context: BasicRequestContext,
                               _ state: QAServerState) async throws -> Response {
        guard let (sid, ticket) = try await session(request, context, state) else { return text(.notFound, "unknown session") }
        guard let received = try await body(request, limit: ticket.plan.bodyLimit, sid: sid, state) else {
            return text(.contentTooLarge, "body too large")
        }
        let foreign = interference(request, sid: sid, endpoint: "upload", body: received, key: ticket.key)
        let contentType = request.headers[.contentType] ?? ""
        guard let boundary = QAHTTPParsing.boundary(contentType: contentType),
              let parts = QAHTTPParsing.multipart(received, boundary: boundary),
              let file = parts.first(where: { $0.name == "file" }) else {
            try await state.observe(sid) {
                QAObservation(check: QACheck.multipartUpload.rawValue, atMs: $0, method: "POST", path: request.uri.path,
                              status: 400, receivedBytes: received.count, receivedSHA256: QAContent.sha256(received),
                              servedSHA256: nil, matched: false, note: "not a multipart body with a 'file' part",
                              interference: foreign)
            }
            return text(.badRequest, "expected multipart/form-data with a 'file' part")
        }
        let expected = QAContent.bytes(nonce: ticket.nonce, label: QAContent.uploadLabel, count: ticket.plan.uploadBytes)
        let hash = QAContent.sha256(file.content)
        let matched = file.content == expected
        // The file name is recorded as text only, never used as a path.
        let name = String(String.UnicodeScalarView((file.filename ?? "").unicodeScalars
            .filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(64)))
        try await state.observe(sid) {
            QAObservation(check: QACheck.multipartUpload.rawValue, atMs: $0, method: "POST", path: request.uri.path,
                          status: 200, receivedBytes: file.content.count, receivedSHA256: hash, servedSHA256: nil,
                          matched: matched,
                          note: matched ? "file '\(name)' matches the nonce content"
                              : "uploaded bytes differ from the nonce content (\(file.content.count) of \(expected.count) bytes)",
                          interference: foreign)
        }
        return respond(.ok, json(["sha256": hash, "bytes": file.content.count, "matched": matched]))
    }

    private static func jsonEcho(_ request: Request, _ context: BasicRequestContext,
                                 _ state: QAServerState) async throws -> Response {
        guard let (sid, ticket) = try await session(request, context, state) else { return text(.notFound, "unknown session") }
        guard let received = try await body(request, limit: ticket.plan.bodyLimit, sid: sid, state) else {
            return text(.contentTooLarge, "body too large")
        }
        let foreign = interference(request, sid: sid, endpoint: "json", body: received, key: ticket.key)
        let object = try? JSONSerialization.jsonObject(with: Data(received)) as? [String: Any]
        var problems: [String] = []
        let token = String(decoding: QAContent.bytes(nonce: ticket.nonce, label: QAContent.jsonLabel, count: 64), as: UTF8.self)
        if object == nil { problems.append("body is not a JSON object") }
        if let object {
            if object["token"] as? String != token { problems.append("token is not the nonce's") }
            if (object["n"] as? NSNumber)?.intValue != 123_456 { problems.append("n is not 123456") }
            if (object["list"] as? [NSNumber])?.map(\.intValue) != [1, 2, 3] { problems.append("list is not [1,2,3]") }
            if object["text"] as? String != QAContent.jsonText { problems.append("text arrived altered") }
        }
        let serverToken = String(decoding: QAContent.bytes(nonce: ticket.nonce, label: QAContent.jsonServerLabel, count: 64),
                                 as: UTF8.self)
        let matched = problems.isEmpty
        let note = matched ? "JSON fields as sent" : problems.joined(separator: "; ")
        try await state.observe(sid) {
            QAObservation(check: QACheck.jsonRoundtrip.rawValue, atMs: $0, method: "POST", path: request.uri.path,
                          status: 200, receivedBytes: received.count, receivedSHA256: QAContent.sha256(received),
                          servedSHA256: nil, matched: matched, note: note, interference: foreign)
        }
        return respond(.ok, json(["echo": object ?? [:], "server": serverToken]))
    }

    private static func report(_ request: Request, _ context: BasicRequestContext,
                               _ state: QAServerState) async throws -> Response {
        let sid = context.parameters.get("sid") ?? ""
        guard let ticket = try await known(sid, request, state) else { return text(.notFound, "unknown session") }
        guard let received = try await body(request, limit: ticket.plan.bodyLimit, sid: sid, state) else {
            return text(.contentTooLarge, "body too large")
        }
        let signature = request.headers[.init(QASignature.header)!]
        switch try await state.acceptReport(sid, body: received, signature: signature, path: request.uri.path) {
        case .accepted: return respond(.ok, json(["accepted": true]))
        case .rejected(let status, let reason):
            return respond(HTTPResponse.Status(code: status), json(["accepted": false, "reason": reason]))
        }
    }
}
