import Firmware
import Vocabulary

/// What one board's QA run does and how long it may take.
public struct QAPlan: Sendable, Equatable, Codable {
    /// Checks in the order the board runs them (one HTTP connection at a time on the firmware).
    public var checks: [QACheck]
    public var attachBudgetMs: Int
    public var checkTimeoutMs: Int
    public var getBytes: Int
    public var downloadBytes: Int
    public var uploadBytes: Int
    public var gzipBytes: Int
    /// Largest request body the server reads for this session (anything larger is refused and recorded).
    public var bodyLimit: Int
    /// Extra URLs the profile wants fetched (GET, must answer 200). Only the board's word backs these.
    public var extraURLs: [String]
    /// Time from session creation to the verdict deadline.
    public var deadlineMs: Int
    /// Whether a check the board reports unavailable on its firmware fails the board.
    public var unavailableChecks: QAUnavailablePolicy

    public init(checks: [QACheck] = [.get, .formPost, .multipartUpload, .download, .jsonRoundtrip, .gzip],
                attachBudgetMs: Int = 60_000, checkTimeoutMs: Int = 15_000, getBytes: Int = 256,
                downloadBytes: Int = 8192, uploadBytes: Int = 4096, gzipBytes: Int = 2048,
                bodyLimit: Int? = nil, extraURLs: [String] = [], deadlineMs: Int? = nil,
                unavailableChecks: QAUnavailablePolicy = .fail) {
        self.checks = checks
        self.attachBudgetMs = attachBudgetMs
        self.checkTimeoutMs = checkTimeoutMs
        self.getBytes = getBytes
        self.downloadBytes = downloadBytes
        self.uploadBytes = uploadBytes
        self.gzipBytes = gzipBytes
        // Room for the upload plus its multipart framing; anything beyond is refused and recorded.
        self.bodyLimit = bodyLimit ?? max(64 * 1024, uploadBytes + 16 * 1024)
        self.extraURLs = extraURLs
        self.deadlineMs = deadlineMs
            ?? attachBudgetMs + (checks.count + extraURLs.count + 1) * checkTimeoutMs + 5_000
        self.unavailableChecks = unavailableChecks
    }

    enum CodingKeys: String, CodingKey {
        case checks, attachBudgetMs, checkTimeoutMs, getBytes, downloadBytes, uploadBytes, gzipBytes, bodyLimit
        case extraURLs, deadlineMs, unavailableChecks
    }

    /// Decodes a plan; one from a station that predates `unavailableChecks` (a shared server's
    /// admin API, stored evidence) gets `.fail`, the strict choice.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        checks = try c.decode([QACheck].self, forKey: .checks)
        attachBudgetMs = try c.decode(Int.self, forKey: .attachBudgetMs)
        checkTimeoutMs = try c.decode(Int.self, forKey: .checkTimeoutMs)
        getBytes = try c.decode(Int.self, forKey: .getBytes)
        downloadBytes = try c.decode(Int.self, forKey: .downloadBytes)
        uploadBytes = try c.decode(Int.self, forKey: .uploadBytes)
        gzipBytes = try c.decode(Int.self, forKey: .gzipBytes)
        bodyLimit = try c.decode(Int.self, forKey: .bodyLimit)
        extraURLs = try c.decode([String].self, forKey: .extraURLs)
        deadlineMs = try c.decode(Int.self, forKey: .deadlineMs)
        unavailableChecks = try c.decodeIfPresent(QAUnavailablePolicy.self, forKey: .unavailableChecks) ?? .fail
    }

    /// The range each number of a plan must fall in. A plan reaches a shared server from the
    /// network (the admin API), and its sizes decide what the server allocates when any client,
    /// authenticated or not, asks for that session's content: negative or huge values used to
    /// crash the server. The bounds match a profile's (`Profile.Bounds`).
    public enum Bounds {
        /// `attachBudgetMs`, `checkTimeoutMs`: 1 ms to 24 h.
        public static let budgetMs = Profile.Bounds.milliseconds
        /// `deadlineMs`: the sum of the budgets above for every check, so up to 30 days.
        public static let deadlineMs = 1...30 * 86_400_000
        /// `getBytes`, `downloadBytes`, `uploadBytes`, `gzipBytes`: 1 B to 16 MiB.
        public static let contentBytes = Profile.Bounds.qaBytes
        /// `bodyLimit`: up to the largest upload plus room for its multipart framing.
        public static let bodyLimit = 1...(Profile.Bounds.qaBytes.upperBound + 64 * 1024)
        /// `extraURLs`: how many, and how long each.
        public static let extraURLCount = 0...64
        public static let extraURLLength = 1...2048
    }

    /// Checks every number against `Bounds`; the first one out of range is named with the reason.
    /// The admin API answers 400 with it; the station refuses its profile's plan at start.
    public func validate() throws(QAPlanError) {
        func check(_ value: Int, _ key: String, _ range: ClosedRange<Int>) throws(QAPlanError) {
            guard range.contains(value) else {
                throw QAPlanError(reason: "\(key) must be \(range.lowerBound)–\(range.upperBound) (got \(value))")
            }
        }
        try check(attachBudgetMs, "attachBudgetMs", Bounds.budgetMs)
        try check(checkTimeoutMs, "checkTimeoutMs", Bounds.budgetMs)
        try check(deadlineMs, "deadlineMs", Bounds.deadlineMs)
        try check(getBytes, "getBytes", Bounds.contentBytes)
        try check(downloadBytes, "downloadBytes", Bounds.contentBytes)
        try check(uploadBytes, "uploadBytes", Bounds.contentBytes)
        try check(gzipBytes, "gzipBytes", Bounds.contentBytes)
        try check(bodyLimit, "bodyLimit", Bounds.bodyLimit)
        try check(extraURLs.count, "the number of extraURLs", Bounds.extraURLCount)
        for url in extraURLs { try check(url.utf8.count, "the length of an extraURLs entry", Bounds.extraURLLength) }
    }

    /// The same plan without `check` (its deadline shrinks with it).
    public func without(_ check: QACheck) -> QAPlan {
        QAPlan(checks: checks.filter { $0 != check }, attachBudgetMs: attachBudgetMs, checkTimeoutMs: checkTimeoutMs,
               getBytes: getBytes, downloadBytes: downloadBytes, uploadBytes: uploadBytes, gzipBytes: gzipBytes,
               bodyLimit: bodyLimit, extraURLs: extraURLs, unavailableChecks: unavailableChecks)
    }

    /// The plan a profile asks for (`qa.checks`, budgets, sizes).
    public init(profile: Profile, extraURLs: [String]? = nil) {
        let ms = { (d: Duration) in Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }
        self.init(checks: profile.qaChecks,
                  attachBudgetMs: ms(profile.qaAttachBudget), checkTimeoutMs: ms(profile.qaCheckTimeout),
                  downloadBytes: profile.qaDownloadBytes, uploadBytes: profile.qaUploadBytes,
                  extraURLs: extraURLs ?? profile.qaExtraURLs,
                  unavailableChecks: profile.qaUnavailableChecks)
    }
}

/// A QA plan with a number out of its bounds (`QAPlan.Bounds`), named with the reason.
public struct QAPlanError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "QA plan: \(reason)" }
}
