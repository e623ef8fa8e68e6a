/// What a `Range` request header asks of a representation of `total` bytes (RFC 9110 §14).
///
/// The board's HTTP client, after a drop or timeout once the headers arrived, reconnects up to
/// three times with `Range: bytes=N-` and appends what comes back (openLuat/LuatOS
/// components/network/libhttp/luat_http_client.c), so every download the QA server serves must
/// answer a range with exactly those bytes.
public enum QAByteRange: Sendable, Equatable {
    /// No usable range (absent, another unit, malformed, several ranges): serve 200 with everything.
    case full
    /// Serve 206 with `bytes` (non-empty, inside `0..<total`).
    case partial(Range<Int>)
    /// 416: the first byte asked for lies at or past the end.
    case unsatisfiable

    /// Reads `Range` header values (all the request's `Range` fields) for a `total`-byte representation.
    /// One `bytes=` range is honoured: `N-`, `N-M` (M past the end is cut to the end) and the
    /// suffix form `-S`; anything else, including a list of ranges, is ignored, which RFC 9110
    /// allows a server to do, and the whole representation is served.
    public static func parse(_ values: [String], total: Int) -> QAByteRange {
        guard values.count == 1, total >= 0 else { return .full }
        let value = values[0].trimmingOWS
        guard let equals = value.firstIndex(of: "="),
              value[..<equals].trimmingOWS.lowercased() == "bytes" else { return .full }
        let spec = value[value.index(after: equals)...].trimmingOWS
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .full }
        let firstText = spec[..<dash].trimmingOWS, lastText = spec[spec.index(after: dash)...].trimmingOWS
        switch (number(firstText), number(lastText)) {
        case (let first?, nil) where lastText.isEmpty:
            return first < total ? .partial(first..<total) : .unsatisfiable
        case (let first?, let last?):
            guard first <= last else { return .full }  // an invalid range-spec is ignored
            guard first < total else { return .unsatisfiable }
            // last < total here, so last + 1 cannot overflow.
            return .partial(first..<(min(last, total - 1) + 1))
        case (nil, let suffix?) where firstText.isEmpty:
            guard suffix > 0, total > 0 else { return .unsatisfiable }
            return .partial((total - min(suffix, total))..<total)
        default:
            return .full
        }
    }

    /// A run of ASCII digits as a number; digits too many for `Int` read as `Int.max` (a position
    /// that far is past the end of anything served). Nil when not all digits or empty.
    static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text) ?? Int.max
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional white space).
    fileprivate var trimmingOWS: Substring {
        let s = Substring(self)
        guard let start = s.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return s[s.endIndex...] }
        let end = s.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return s[start...end]
    }
}

/// The part of a representation one answer carried, as recorded in an observation.
public struct QAServedRange: Sendable, Equatable, Codable {
    /// First byte served (0-based).
    public let first: Int
    /// Last byte served (inclusive), as in `Content-Range`.
    public let last: Int
    /// Size of the whole representation.
    public let total: Int

    public init(first: Int, last: Int, total: Int) {
        self.first = first
        self.last = last
        self.total = total
    }

    /// `bytes first-last/total`, the `Content-Range` value.
    public var contentRange: String { "bytes \(first)-\(last)/\(total)" }
}
