import Foundation

/// The board's report as the server accepted it: the exact bytes the board signed, its
/// `X-QA-Signature`, and the session key that checks it. The key is single-use (one session, one
/// board), so keeping it beside the record gives away nothing a later session relies on, and lets
/// anyone holding the record check, long after, that the report is still what the board sent.
public struct QASignedReport: Sendable, Equatable, Codable {
    /// The report body exactly as received (the HMAC covers these bytes, not a re-encoding).
    public let body: [UInt8]
    /// The board's hex HMAC-SHA256 over `body` (`QASignature.header`).
    public let signature: String
    /// The session key (ASCII hex; its text bytes are the HMAC key, as on the board).
    public let key: String

    public init(body: [UInt8], signature: String, key: String) {
        self.body = body
        self.signature = signature
        self.key = key
    }

    /// Whether `signature` is the session key's HMAC of `body`: the one check the server ran
    /// before accepting the report (`QASignature.verify`), run again.
    public var isAuthentic: Bool { QASignature.verify(body, key: key, signature: signature) }

    /// The report `body` holds, or nil when it is not the report JSON.
    public var report: QABoardReport? { try? JSONDecoder().decode(QABoardReport.self, from: Data(body)) }

    enum CodingKeys: String, CodingKey { case body, signature, key }

    // The body travels as base64 text (admin API, records), never as an array of numbers.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .body)
        guard let bytes = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(forKey: .body, in: container, debugDescription: "body is not base64")
        }
        body = [UInt8](bytes)
        signature = try container.decode(String.self, forKey: .signature)
        key = try container.decode(String.self, forKey: .key)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Data(body).base64EncodedString(), forKey: .body)
        try container.encode(signature, forKey: .signature)
        try container.encode(key, forKey: .key)
    }
}
