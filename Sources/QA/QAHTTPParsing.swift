import Foundation
import MultipartKit

/// Request-body parsing for the QA endpoints. Written to be strict: anything odd is a mismatch,
/// never a crash, and an uploaded file name is only ever recorded as text, never used as a path.
/// `@_spi(Fuzzing)`: public only to the libFuzzer harness (Fuzz/), which feeds bodies straight
/// to these functions instead of through a running server.
@_spi(Fuzzing) public enum QAHTTPParsing {
    /// Decodes `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte).
    @_spi(Fuzzing) public static func formFields(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(Array(parts[0]))
            let value = parts.count > 1 ? percentDecode(Array(parts[1])) : ""
            fields[key] = value
        }
        return fields
    }

    @_spi(Fuzzing) public static func percentDecode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "+") { out.append(0x20); i += 1; continue }
            if b == UInt8(ascii: "%"), i + 2 < bytes.count,
               let v = UInt8(String(decoding: bytes[i + 1...i + 2], as: UTF8.self), radix: 16) {
                out.append(v); i += 3; continue
            }
            out.append(b); i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    @_spi(Fuzzing) public struct Part: Sendable {
        public let name: String?
        public let filename: String?
        public let content: [UInt8]
    }

    /// The boundary parameter of a `multipart/form-data` content type.
    @_spi(Fuzzing) public static func boundary(contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let kv = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == "boundary" {
                return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// Longest boundary RFC 2046 allows; a longer (or empty) one is not a multipart body.
    static let maxBoundaryLength = 70

    /// The parts of a multipart body, or nil when it is not well formed. Parsed by vapor's
    /// MultipartKit state machine in one pass (linear in the body; the hand-written search it
    /// replaces was quadratic on bodies full of boundary-like bytes).
    @_spi(Fuzzing) public static func multipart(_ body: [UInt8], boundary: String) -> [Part]? {
        guard !boundary.isEmpty, boundary.utf8.count <= maxBoundaryLength,
              !hasNonASCIIHeaderName(body, boundary: boundary) else { return nil }
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var disposition: String?
        var content = ByteBuffer()
        parser.onHeader = { name, value in
            if name.lowercased() == "content-disposition" { disposition = "content-disposition: " + value }
        }
        parser.onBody = { chunk in content.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.append(Part(name: disposition.flatMap { parameter("name", in: $0) },
                              filename: disposition.flatMap { parameter("filename", in: $0) },
                              content: Array(content.readableBytesView)))
            disposition = nil
            content.clear()
        }
        do { try parser.execute(body) } catch { return nil }
        return parts.isEmpty ? nil : parts
    }

    /// MultipartKit 4.7.1 looks every header-name byte up in a 128-entry table, so a byte of
    /// 0x80 or more there traps (found by scripts/fuzz): any client could stop the QA server with
    /// one upload. Such a body is refused first. The parser reads header names only at the start
    /// of a CRLF-ended line, in a block that follows a line ending in the boundary and runs to
    /// the first empty line; every such line's bytes before its first ':' are checked (more lines
    /// than MultipartKit reads, never fewer). One pass, so the parse stays linear.
    static func hasNonASCIIHeaderName(_ body: [UInt8], boundary: String) -> Bool {
        let marker = Array(boundary.utf8)
        var inHeaders = false, lineStart = 0
        while lineStart <= body.count {
            var end = lineStart
            while end + 1 < body.count, !(body[end] == 0x0D && body[end + 1] == 0x0A) { end += 1 }
            if end + 1 >= body.count { end = body.count }
            let line = body[lineStart..<end]
            if inHeaders {
                if line.isEmpty {
                    inHeaders = false
                } else if line.prefix(while: { $0 != UInt8(ascii: ":") }).contains(where: { $0 >= 0x80 }) {
                    return true
                }
            }
            if line.count >= marker.count, line.suffix(marker.count).elementsEqual(marker) { inHeaders = true }
            lineStart = end + 2
        }
        return false
    }

    private static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let kv = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == key {
                return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}

