import Firmware

/// One check of the QA plan. Raw values are the profile's `qa.checks` names.
public enum QACheck: String, Sendable, Codable, CaseIterable, Comparable {
    case get
    case formPost = "form_post"
    case multipartUpload = "multipart_upload"
    case download
    case jsonRoundtrip = "json_roundtrip"
    case gzip
    case https

    public static func < (a: QACheck, b: QACheck) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

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

    public init(checks: [QACheck] = [.get, .formPost, .multipartUpload, .download, .jsonRoundtrip, .gzip],
                attachBudgetMs: Int = 60_000, checkTimeoutMs: Int = 15_000, getBytes: Int = 256,
                downloadBytes: Int = 8192, uploadBytes: Int = 4096, gzipBytes: Int = 2048,
                bodyLimit: Int? = nil, extraURLs: [String] = [], deadlineMs: Int? = nil) {
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
    }

    /// The same plan without `check` (its deadline shrinks with it).
    public func without(_ check: QACheck) -> QAPlan {
        QAPlan(checks: checks.filter { $0 != check }, attachBudgetMs: attachBudgetMs, checkTimeoutMs: checkTimeoutMs,
               getBytes: getBytes, downloadBytes: downloadBytes, uploadBytes: uploadBytes, gzipBytes: gzipBytes,
               bodyLimit: bodyLimit, extraURLs: extraURLs)
    }

    /// The plan a profile asks for (`qa.checks`, budgets, sizes).
    public init(profile: Profile, extraURLs: [String]? = nil) {
        let ms = { (d: Duration) in Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }
        self.init(checks: profile.qaChecks.compactMap(QACheck.init(rawValue:)),
                  attachBudgetMs: ms(profile.qaAttachBudget), checkTimeoutMs: ms(profile.qaCheckTimeout),
                  downloadBytes: profile.qaDownloadBytes, uploadBytes: profile.qaUploadBytes,
                  extraURLs: extraURLs ?? profile.qaExtraURLs)
    }
}
