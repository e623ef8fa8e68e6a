import Foundation

/// Request-body parsing for the QA endpoints. Written to be strict: anything odd is a mismatch,
/// never a crash, and an uploaded file name is only ever recorded as text, never used as a path.
enum QAHTTPParsing {
    /// Decodes `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte).
    static func formFields(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(Array(parts[0]))
            let value = parts.count > 1 ? percentDecode(Array(parts[1])) : ""
            fields[key] = value
        }
        return fields
    }

    static func percentDecode(_ bytes: [UInt8]) -> String {
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

    struct Part {
        let name: String?
        let filename: String?
        let content: [UInt8]
    }

    /// The boundary parameter of a `multipart/form-data` content type.
    static func boundary(contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let kv = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == "boundary" {
                return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// The parts of a multipart body, or nil when it is not well formed.
    static func multipart(_ body: [UInt8], boundary: String) -> [Part]? {
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: body, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        guard positions.count >= 2 else { return nil }
        var parts: [Part] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            guard from + 2 <= body.count, body[from] == 0x0D, body[from + 1] == 0x0A else { return nil }
            from += 2
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: from), headerEnd < end else { return nil }
            let headers = String(decoding: body[from..<headerEnd], as: UTF8.self)
            // The content ends at the CRLF that precedes the next delimiter.
            let contentEnd = end - 2
            guard contentEnd >= headerEnd + 4, body[contentEnd] == 0x0D, body[contentEnd + 1] == 0x0A else { return nil }
            var name: String?, filename: String?
            for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = parameter("name", in: line)
                filename = parameter("filename", in: line)
            }
            parts.append(Part(name: name, filename: filename, content: Array(body[(headerEnd + 4)..<contentEnd])))
        }
        return parts
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

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var i = from
        let first = needle[0]
        while i <= haystack.count - needle.count {
            if haystack[i] == first, Array(haystack[i..<i + needle.count]) == needle { return i }
            i += 1
        }
        return nil
    }
}

