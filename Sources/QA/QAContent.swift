import Crypto

/// The bytes a board must send and receive, derived from its session nonce, so a recorded or
/// replayed exchange from another board cannot pass. The QA Lua script derives the same bytes
/// with `crypto.sha256` (uppercase hex, as LuatOS returns it): block i of label L is
/// `SHA256(nonce ":" L ":" i)` in hex, and content is blocks 1, 2, … concatenated and cut to n.
public enum QAContent {
    public static func block(nonce: String, label: String, index: Int) -> String {
        hexUpper(Array(SHA256.hash(data: Array("\(nonce):\(label):\(index)".utf8))))
    }

    public static func bytes(nonce: String, label: String, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 64)
        var i = 1
        while out.count < count {
            out += Array(block(nonce: nonce, label: label, index: i).utf8)
            i += 1
        }
        return Array(out.prefix(count))
    }

    /// Lowercase SHA-256 hex of `bytes` (compare case-insensitively with the board's).
    public static func sha256(_ bytes: [UInt8]) -> String {
        hexUpper(Array(SHA256.hash(data: bytes))).lowercased()
    }

    static func hexUpper(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Labels per check (shared with `profiles/air780e/qa/main.lua`).
    public static let getLabel = "get", downloadLabel = "dl", uploadLabel = "up", gzipLabel = "gzip"
    public static let formLabel = "form", jsonLabel = "json", jsonServerLabel = "json-srv"
    /// The fixed text the form check sends (non-ASCII and reserved characters test `urlEncode`).
    public static let formText = "QA 测试 a&b=c~%"
    /// The fixed text the JSON check sends (escapes and non-ASCII).
    public static let jsonText = "中文 \"q\" ~}\\"
}
