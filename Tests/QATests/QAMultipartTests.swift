@_spi(Fuzzing) @testable import QA
import Foundation
import Testing

/// The QA server's multipart parsing (MultipartKit): the board's upload is read exactly, and
/// malformed or hostile bodies are a mismatch, never a crash.
@Suite("QA multipart parsing")
struct QAMultipartTests {
    static func body(boundary: String, parts: [(disposition: String, content: [UInt8])], closed: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            out += Array("--\(boundary)\r\nContent-Disposition: \(part.disposition)\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            out += part.content + Array("\r\n".utf8)
        }
        if closed { out += Array("--\(boundary)--\r\n".utf8) }
        return out
    }

    @Test("a file part and a field come back with their names and exact bytes, CRLFs inside the content kept")
    func wellFormed() throws {
        let file: [UInt8] = Array("a\r\nb\r\n--notTheBoundary\r\n".utf8) + (0...255).map(UInt8.init)
        let body = Self.body(boundary: "----provisionQA1234", parts: [
            (#"form-data; name="note""#, Array("hi".utf8)),
            (#"form-data; name="file"; filename="qa_1234.bin""#, file),
        ])
        let parts = try #require(QAHTTPParsing.multipart(body, boundary: "----provisionQA1234"))
        #expect(parts.map(\.name) == ["note", "file"])
        #expect(parts[1].filename == "qa_1234.bin")
        #expect(parts[1].content == file)
        #expect(parts[0].content == Array("hi".utf8))
    }

    @Test("malformed bodies are refused, not crashed on: no parts, an empty or over-long boundary, garbage")
    func malformed() {
        #expect(QAHTTPParsing.multipart(Array("hello".utf8), boundary: "b") == nil)
        #expect(QAHTTPParsing.multipart(Self.body(boundary: "x", parts: []), boundary: "x") == nil)
        #expect(QAHTTPParsing.multipart(Self.body(boundary: "x", parts: [("form-data; name=\"f\"", [1])]), boundary: "") == nil)
        #expect(QAHTTPParsing.multipart([], boundary: String(repeating: "b", count: 71)) == nil)
        #expect(QAHTTPParsing.boundary(contentType: "multipart/form-data; boundary=") == nil)
    }

    @Test("a body full of boundary-like bytes is parsed in one pass: a 1 MiB hostile body yields no part")
    func hostileBody() {
        // The old hand-written search re-scanned from every '-' (quadratic); this must simply end.
        let hostile = [UInt8](repeating: UInt8(ascii: "-"), count: 1 << 20)
        #expect(QAHTTPParsing.multipart(hostile, boundary: "-----------------------------x") == nil)
        let nearMisses = Array(String(repeating: "\r\n--abc\r\n", count: 50_000).utf8)
        #expect(QAHTTPParsing.multipart(nearMisses, boundary: "abcd") == nil)
    }

    /// scripts/fuzz (FuzzQAHTTP), minimized: MultipartKit 4.7.1 trapped on a header-name byte
    /// of 0x80 or more (a table lookup out of range), so one upload could stop the QA server.
    @Test("a non-ASCII byte in a part's header name is a refusal, not a trap; UTF-8 in a value still parses")
    func nonASCIIHeaderName() throws {
        let hostile = Array("--XyZ\r\nContent-D".utf8) + [0xE9] + Array("sposition: form-data\r\n\r\nx\r\n--XyZ--\r\n".utf8)
        #expect(QAHTTPParsing.multipart(hostile, boundary: "XyZ") == nil)
        // Cut short inside the name (the parser traps as it reads, before any line end).
        #expect(QAHTTPParsing.multipart(Array("--XyZ\r\nA".utf8) + [0xFF], boundary: "XyZ") == nil)

        let utf8Name = Self.body(boundary: "XyZ", parts: [("form-data; name=\"file\"; filename=\"teść.bin\"", [1, 2])])
        let parts = try #require(QAHTTPParsing.multipart(utf8Name, boundary: "XyZ"))
        #expect(parts.first?.filename == "teść.bin")
        #expect(parts.first?.content == [1, 2])
    }
}
