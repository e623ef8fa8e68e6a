import Foundation
import Vocabulary

/// "App log" verification: instead of the QA script, a profile may judge a board from its own
/// application's log lines (e.g. the official HTTP demo prints `http.get 200 …`).
public struct AppLogExpectation: Sendable, Equatable, Codable {
    /// The `log.info` tag, e.g. `http.get` (matched as module `user.http.get`).
    public var tag: String
    /// The status the first argument must carry.
    public var expectCode: Int
    /// How many matching lines are needed.
    public var count: Int

    public init(tag: String, expectCode: Int = 200, count: Int = 1) {
        self.tag = tag
        self.expectCode = expectCode
        self.count = count
    }

    enum CodingKeys: String, CodingKey { case tag, expectCode = "expect_code", count }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tag = try c.decode(String.self, forKey: .tag)
        expectCode = try c.decodeIfPresent(Int.self, forKey: .expectCode) ?? 200
        count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1
    }
}

public enum AppLogVerifier {
    /// Loads expectations from a JSON file (`[{"tag": "http.get", "expect_code": 200}]`).
    public static func load(_ path: String) throws -> [AppLogExpectation] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QAInputError(file: path, reason: "cannot read the app-log expectations")
        }
        do { return try JSONDecoder().decode([AppLogExpectation].self, from: data) }
        catch { throw QAInputError(file: path, reason: "not a JSON list of {tag, expect_code, count}: \(error)") }
    }

    /// Judges `records` against `expectations`. A Lua error line (`E/…` from the runtime's task
    /// error report) fails too.
    public static func verdict(records: [LuatOSLogRecord], expectations: [AppLogExpectation]) -> (pass: Bool, checks: [QACheckVerdict]) {
        var checks: [QACheckVerdict] = []
        for expectation in expectations {
            let lines = records.filter { $0.module == "user." + expectation.tag }
            let codes = lines.compactMap { $0.arguments.first.flatMap { Int($0) } }
            let good = codes.filter { $0 == expectation.expectCode }.count
            let verdict: QACheckVerdict
            if good >= expectation.count {
                verdict = QACheckVerdict(check: expectation.tag, pass: true, failure: nil, boardMs: nil, serverAtMs: nil,
                                         detail: "\(good) line(s) with \(expectation.expectCode)")
            } else if let negative = codes.first(where: { $0 < 0 }) {
                verdict = QACheckVerdict(check: expectation.tag, pass: false,
                                         failure: negative == -8 ? .timeout : .httpLibraryError(code: negative),
                                         boardMs: nil, serverAtMs: nil, detail: "app logged \(expectation.tag) \(negative)")
            } else if let other = codes.first {
                verdict = QACheckVerdict(check: expectation.tag, pass: false, failure: .wrongStatus(code: other),
                                         boardMs: nil, serverAtMs: nil, detail: "app logged \(expectation.tag) \(other)")
            } else {
                verdict = QACheckVerdict(check: expectation.tag, pass: false, failure: .noReport, boardMs: nil,
                                         serverAtMs: nil, detail: "no '\(expectation.tag)' line with a status in the log")
            }
            checks.append(verdict)
        }
        if let error = records.first(where: { $0.text.hasPrefix("E/user.coroutine.resume") || $0.text.hasPrefix("E/main") }) {
            checks.append(QACheckVerdict(check: "lua_errors", pass: false, failure: .contentMismatch, boardMs: nil,
                                         serverAtMs: nil, detail: "script error: \(error.text.prefix(200))"))
        }
        return (checks.allSatisfy(\.pass) && !checks.isEmpty, checks)
    }
}

/// Bad QA input (a file, an option), named with the reason.
public struct QAInputError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let reason: String
    public init(file: String, reason: String) { self.file = file; self.reason = reason }
    public var description: String { "\(file): \(reason)" }
}
