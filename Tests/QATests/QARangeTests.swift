import AsyncHTTPClient
import Foundation
import QA
import Testing

/// The QA server answers `Range` as RFC 9110 says, because the board's HTTP client resumes a
/// dropped download with `Range: bytes=N-` (LuatOS components/network/libhttp/luat_http_client.c),
/// and a resumed download still passes its check.
@Suite("QA server: Range requests and resumed downloads")
struct QARangeTests {
    struct Answer {
        let status: Int
        let body: [UInt8]
        let contentRange: String?
        let acceptRanges: String?
    }

    /// A GET; with `key`, signed as the board signs it (only signed requests are evidence).
    static func get(_ url: String, range: [String] = [], client: HTTPClient = .shared,
                    key: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        for value in range { request.headers.add(name: "Range", value: value) }
        if let key { request.headers.add(name: "X-QA-Signature", value: QAInterferenceTests.boardSignature(url: url, key: key)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 22)
        return Answer(status: Int(response.status.code), body: Array(body.readableBytesView),
                      contentRange: response.headers.first(name: "Content-Range"),
                      acceptRanges: response.headers.first(name: "Accept-Ranges"))
    }

    /// Starts reading `url` and drops the connection once `keep` bytes arrived, as a board whose
    /// link fell mid-body; returns the first `keep` bytes.
    static func cutShort(_ url: String, keep: Int, key: String) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "X-QA-Signature", value: QAInterferenceTests.boardSignature(url: url, key: key))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 200)
        var got: [UInt8] = []
        for try await chunk in response.body {
            got += chunk.readableBytesView
            if got.count >= keep { break }
        }
        return Array(got.prefix(keep))
    }

    @Test("parsing: N-, N-M (cut to the end), suffix, past the end, and what is ignored")
    func parsing() {
        #expect(QAByteRange.parse([], total: 10) == .full)
        #expect(QAByteRange.parse(["bytes=0-"], total: 10) == .partial(0..<10))
        #expect(QAByteRange.parse(["bytes=3-5"], total: 10) == .partial(3..<6))
        #expect(QAByteRange.parse(["Bytes = 3 - 5 "], total: 10) == .partial(3..<6))
        #expect(QAByteRange.parse(["bytes=9-9"], total: 10) == .partial(9..<10))
        #expect(QAByteRange.parse(["bytes=4-400"], total: 10) == .partial(4..<10))
        #expect(QAByteRange.parse(["bytes=-3"], total: 10) == .partial(7..<10))
        #expect(QAByteRange.parse(["bytes=-30"], total: 10) == .partial(0..<10))
        #expect(QAByteRange.parse(["bytes=10-"], total: 10) == .unsatisfiable)
        #expect(QAByteRange.parse(["bytes=10-12"], total: 10) == .unsatisfiable)
        #expect(QAByteRange.parse(["bytes=-0"], total: 10) == .unsatisfiable)
        #expect(QAByteRange.parse(["bytes=0-"], total: 0) == .unsatisfiable)
        // Digits past Int's range are a position past the end, not a crash.
        #expect(QAByteRange.parse(["bytes=99999999999999999999999-"], total: 10) == .unsatisfiable)
        #expect(QAByteRange.parse(["bytes=2-99999999999999999999999"], total: 10) == .partial(2..<10))
        for ignored in ["bytes=0-1,5-6", "bytes=5-3", "bytes=abc", "bytes=", "bytes=-", "items=0-5", "bytes 0-5",
                        "bytes=+1-5", "bytes=0x1-5"] {
            #expect(QAByteRange.parse([ignored], total: 10) == .full, "\(ignored)")
        }
        #expect(QAByteRange.parse(["bytes=0-1", "bytes=2-3"], total: 10) == .full)
    }

    @Test("206 with exactly the asked bytes and Content-Range; 416 past the end; multi-range and junk get 200 whole")
    func rangedAnswers() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "range", plan: QAPlan(getBytes: 256))
        let url = ticket.sessionURL + "/get"
        let whole = QAContent.bytes(nonce: ticket.nonce, label: QAContent.getLabel, count: 256)

        let full = try await Self.get(url)
        #expect(full.status == 200 && full.body == whole && full.contentRange == nil && full.acceptRanges == "bytes")

        for (header, first, last) in [("bytes=0-9", 0, 9), ("bytes=100-", 100, 255), ("bytes=255-", 255, 255),
                                      ("bytes=255-255", 255, 255), ("bytes=200-999", 200, 255), ("bytes=-16", 240, 255)] {
            let answer = try await Self.get(url, range: [header])
            #expect(answer.status == 206, "\(header)")
            #expect(answer.body == Array(whole[first...last]), "\(header)")
            #expect(answer.contentRange == "bytes \(first)-\(last)/256", "\(header)")
            #expect(answer.acceptRanges == "bytes")
        }

        let past = try await Self.get(url, range: ["bytes=256-"])
        #expect(past.status == 416)
        #expect(past.contentRange == "bytes */256")
        #expect(past.body.isEmpty)

        for ignored in ["bytes=0-9,20-29", "bytes=abc", "pages=1-2"] {
            let answer = try await Self.get(url, range: [ignored])
            #expect(answer.status == 200 && answer.body == whole && answer.contentRange == nil, "\(ignored)")
        }

        // Each answer is its own observation; a ranged one names the bytes it carried and the
        // whole content's hash.
        let evidence = try #require(await server.evidence(sessionID: ticket.sessionID))
        let observations = evidence.observations.filter { $0.check == "get" }
        #expect(observations.map(\.status) == [200, 206, 206, 206, 206, 206, 206, 416, 200, 200, 200])
        #expect(observations[1].range == QAServedRange(first: 0, last: 9, total: 256))
        #expect(observations[1].note.contains("bytes 0-9/256"))
        #expect(observations.filter { $0.status == 206 }.allSatisfy { $0.servedSHA256 == QAContent.sha256(whole) })
        #expect(observations[0].range == nil)
        #expect(observations[7].servedSHA256 == nil)
    }

    @Test("gzip and download honour Range too: the pieces join up to the whole body")
    func otherEndpoints() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "range-2", plan: QAPlan(downloadBytes: 5000, gzipBytes: 3000))
        // The gzip body's ranges count compressed bytes, so this client must not inflate them.
        let raw = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(decompression: .disabled))
        do {
            for path in ["/gzip", "/download"] {
                let whole = try await Self.get(ticket.sessionURL + path, client: raw)
                #expect(whole.status == 200 && whole.acceptRanges == "bytes")
                let head = try await Self.get(ticket.sessionURL + path, range: ["bytes=0-99"], client: raw)
                let tail = try await Self.get(ticket.sessionURL + path, range: ["bytes=100-"], client: raw)
                #expect(head.status == 206 && tail.status == 206)
                #expect(head.body + tail.body == whole.body, "\(path)")
                #expect(tail.contentRange == "bytes 100-\(whole.body.count - 1)/\(whole.body.count)")
            }
        } catch {
            try? await raw.shutdown()
            throw error
        }
        try await raw.shutdown()
    }

    static func signedReport(_ ticket: QASessionTicket, checks: [[String: Any]], downloadSHA256: String?) async throws -> Int {
        var object: [String: Any] = ["sid": ticket.sessionID, "imei": "862011060000010", "iccid": "89860022100000010001",
                                     "csq": 20, "fw": "V1112", "checks": checks]
        if let downloadSHA256 { object["download_sha256"] = downloadSHA256 }
        let body = [UInt8](try JSONSerialization.data(withJSONObject: object))
        let (status, _) = try await QAServerTests.post(ticket.sessionURL + "/report", body: body,
                                                       headers: [("X-QA-Signature", QAServerTests.sign(body, key: ticket.key))])
        return status
    }

    @Test("a download cut after k bytes and resumed with Range passes when the board reports the whole hash")
    func resumedDownloadPasses() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let size = 256 * 1024
        let ticket = await server.createSession(boardID: "resume", plan: QAPlan(checks: [.download], downloadBytes: size))
        let url = ticket.sessionURL + "/download"
        let k = 10_000
        let first = try await Self.cutShort(url, keep: k, key: ticket.key)
        #expect(first.count == k)
        let rest = try await Self.get(url, range: ["bytes=\(k)-"], key: ticket.key)
        #expect(rest.status == 206)
        #expect(rest.contentRange == "bytes \(k)-\(size - 1)/\(size)")
        let got = first + rest.body
        let whole = QAContent.bytes(nonce: ticket.nonce, label: QAContent.downloadLabel, count: size)
        #expect(got == whole)

        let hash = QAContent.sha256(got)
        let status = try await Self.signedReport(ticket, checks: [["name": "download", "code": 200, "ms": 40, "ok": true,
                                                                   "hash": hash.uppercased()]],
                                                 downloadSHA256: hash.uppercased())
        #expect(status == 200)
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID))
        #expect(verdict.pass, "\(verdict)")
        let check = try #require(verdict.checks.first)
        #expect(check.pass && check.detail.contains("resumed"), "\(check)")
        let evidence = try #require(await server.evidence(sessionID: ticket.sessionID))
        #expect(evidence.observations.filter { $0.check == "download" }.map(\.status) == [200, 206])
    }

    @Test("a board that only ever asked for the tail did not get the content from the server: the check fails")
    func tailOnlyFails() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0)
        try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "tail", plan: QAPlan(checks: [.download], downloadBytes: 8192))
        let tail = try await Self.get(ticket.sessionURL + "/download", range: ["bytes=4096-"], key: ticket.key)
        #expect(tail.status == 206)
        // The board could derive the head from its nonce; the server never sent it.
        let hash = QAContent.sha256(QAContent.bytes(nonce: ticket.nonce, label: QAContent.downloadLabel, count: 8192))
        let status = try await Self.signedReport(ticket, checks: [["name": "download", "code": 200, "ms": 40, "ok": true,
                                                                   "hash": hash]], downloadSHA256: hash)
        #expect(status == 200)
        let verdict = try #require(await server.verdict(sessionID: ticket.sessionID))
        #expect(!verdict.pass)
        #expect(verdict.checks.first?.failure == .contentMismatch)
        #expect(verdict.checks.first?.detail.contains("bytes 0-4095 of 8192 were never served") == true,
                "\(String(describing: verdict.checks.first))")
    }
}
