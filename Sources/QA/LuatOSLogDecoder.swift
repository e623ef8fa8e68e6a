import Vocabulary

/// One decoded LuatOS log record (spec §5.3/§5.4).
public struct LuatOSLogRecord: Sendable, Equatable {
    /// Milliseconds since boot (low 32 bits), for framed records.
    public let milliseconds: UInt32?
    /// The 4-letter tag of a framed record (`LTOS` for Lua/`LLOG`, `CAPP` for C printf).
    public let tag: String?
    /// The record's text, trailing NULs removed.
    public let text: String

    public init(milliseconds: UInt32?, tag: String?, text: String) {
        self.milliseconds = milliseconds
        self.tag = tag
        self.text = text
    }

    /// `I`, `W`, … when the text starts with `<L>/`.
    public var level: Character? {
        let chars = Array(text.prefix(2))
        guard chars.count == 2, chars[1] == "/", "DIWE".contains(chars[0]) else { return nil }
        return chars[0]
    }

    /// `user.http.get` in `I/user.http.get\t200` (from `/` to the first TAB or space).
    public var module: String? {
        guard level != nil else { return nil }
        return String(text.dropFirst(2).prefix { $0 != "\t" && $0 != " " })
    }

    /// The arguments after the module, split by TAB (V1112) or, when there is no TAB, by spaces
    /// (newer firmware uses a single space).
    public var arguments: [String] {
        guard let module else { return [] }
        let rest = text.dropFirst(2 + module.count).dropFirst()
        if rest.isEmpty { return [] }
        if rest.contains("\t") { return rest.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        return rest.split(separator: " ").map(String.init)
    }
}

/// Decodes the SoC-log port: 0x7E-framed binary records, or plain text lines.
///
/// The escape rule for `7E`/`7D` inside a frame is an open question (spec §6 item 1), so it is a
/// setting: the project's one `LogEscaping` (the profile's `log_escaping`).
public struct LuatOSLogDecoder: Sendable {
    public enum Framing: String, Sendable, CaseIterable {
        /// Decide from the first byte: `7E` → frames, anything else → text lines.
        case auto
        case frames
        case textLines
    }

    public let escaping: LogEscaping
    public private(set) var framing: Framing
    private var buffer: [UInt8] = []
    private var inFrame = false

    public init(escaping: LogEscaping = .airm2m, framing: Framing = .auto) {
        self.escaping = escaping
        self.framing = framing
    }

    /// Feeds bytes as they arrive; returns the records completed by them.
    public mutating func feed(_ bytes: [UInt8]) -> [LuatOSLogRecord] {
        if framing == .auto, let first = bytes.first { framing = first == 0x7E ? .frames : .textLines }
        var records: [LuatOSLogRecord] = []
        for byte in bytes {
            switch framing {
            case .frames, .auto:
                if byte == 0x7E {
                    if !buffer.isEmpty, let record = Self.decodeFrame(unescape(buffer)) { records.append(record) }
                    buffer.removeAll(keepingCapacity: true)
                } else {
                    buffer.append(byte)
                }
            case .textLines:
                if byte == 0x0A {
                    records.append(Self.textRecord(buffer))
                    buffer.removeAll(keepingCapacity: true)
                } else if byte != 0x0D {
                    buffer.append(byte)
                }
            }
        }
        return records
    }

    /// Decodes a whole capture.
    public static func decode(_ bytes: [UInt8], escaping: LogEscaping = .airm2m, framing: Framing = .auto) -> [LuatOSLogRecord] {
        var decoder = LuatOSLogDecoder(escaping: escaping, framing: framing)
        return decoder.feed(bytes) + (decoder.pendingRecord().map { [$0] } ?? [])
    }

    /// The text line received so far without its line end (a capture may stop mid-line);
    /// nil for frames, which only count once closed.
    public func pendingRecord() -> LuatOSLogRecord? {
        guard framing == .textLines, !buffer.isEmpty else { return nil }
        return Self.textRecord(buffer)
    }

    func unescape(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            guard b == 0x7D, i + 1 < bytes.count else { out.append(b); i += 1; continue }
            let code = bytes[i + 1]
            i += 2
            out += escaping.unescaped(code)
        }
        return out
    }

    static func textRecord(_ bytes: [UInt8]) -> LuatOSLogRecord {
        LuatOSLogRecord(milliseconds: nil, tag: nil, text: String(decoding: trimNUL(bytes), as: UTF8.self))
    }

    static func trimNUL(_ bytes: [UInt8]) -> [UInt8] {
        var end = bytes.count
        while end > 0 && bytes[end - 1] == 0 { end -= 1 }
        return Array(bytes[0..<end])
    }

    /// Payload: u64 ms, u32 tag, NUL-terminated format padded to 4, then 4-byte-aligned arguments.
    static func decodeFrame(_ p: [UInt8]) -> LuatOSLogRecord? {
        guard p.count >= 13 else { return nil }
        func u32(_ at: Int) -> UInt32? {
            guard at + 4 <= p.count else { return nil }
            return UInt32(p[at]) | UInt32(p[at + 1]) << 8 | UInt32(p[at + 2]) << 16 | UInt32(p[at + 3]) << 24
        }
        let ms = u32(0)!
        let tagWord = u32(8)!
        let tag = String(decoding: (0..<4).map { UInt8((tagWord >> (7 * UInt32($0))) & 0x7F) }, as: UTF8.self)
        guard let nul = p[12...].firstIndex(of: 0) else { return nil }
        let format = String(decoding: p[12..<nul], as: UTF8.self)
        var at = 12 + ((nul - 12 + 4) & ~3)
        var text = ""
        var chars = Array(format)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "%" , i + 1 < chars.count else { text.append(c); i += 1; continue }
            var j = i + 1
            var spec = ""
            while j < chars.count, !"diuxXcpsfegG%".contains(chars[j]) { spec.append(chars[j]); j += 1 }
            guard j < chars.count else { break }
            let conversion = chars[j]
            i = j + 1
            switch conversion {
            case "%": text.append("%")
            case "s":
                guard let n = u32(at), at + 4 + Int(n) <= p.count else { return LuatOSLogRecord(milliseconds: ms, tag: tag, text: text) }
                text += String(decoding: trimNUL(Array(p[(at + 4)..<(at + 4 + Int(n))])), as: UTF8.self)
                at += 4 + ((Int(n) + 3) & ~3)
            case "f", "e", "g", "G":
                guard at + 8 <= p.count else { break }
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(p[at + k]) << (8 * UInt64(k)) }
                text += "\(Double(bitPattern: bits))"
                at += 8
            default:
                if spec.hasSuffix("ll") {
                    guard let lo = u32(at), let hi = u32(at + 4) else { break }
                    let v = UInt64(lo) | UInt64(hi) << 32
                    text += conversion == "u" ? "\(v)" : "\(Int64(bitPattern: v))"
                    at += 8
                } else {
                    guard let v = u32(at) else { break }
                    switch conversion {
                    case "x", "p": text += String(v, radix: 16)
                    case "X": text += String(v, radix: 16).uppercased()
                    case "u": text += "\(v)"
                    case "c": text.append(Character(Unicode.Scalar(UInt8(v & 0xFF))))
                    default: text += "\(Int32(bitPattern: v))"
                    }
                    at += 4
                }
            }
        }
        chars = []
        return LuatOSLogRecord(milliseconds: ms, tag: tag, text: text)
    }
}
