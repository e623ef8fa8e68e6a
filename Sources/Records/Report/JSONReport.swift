import Foundation

/// The summary and every run, as one JSON document (stable keys, ISO-8601 times).
enum JSONReport {
    struct Document: Encodable {
        let summary: BatchSummary
        let runs: [RunRecord]
    }

    static func render(summary: BatchSummary, runs: [RunRecord]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(Document(summary: summary, runs: runs)), as: UTF8.self) + "\n"
    }
}
