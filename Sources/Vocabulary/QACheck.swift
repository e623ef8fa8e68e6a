/// One check of the QA plan. Raw values are the profile's `qa.checks` names. Here, not in QA, so
/// the profile is decoded into it (and refuses an unknown name) without a copy of the list.
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

    /// The LuatOS module a check needs that a firmware build may lack, so the board may report the
    /// check "unavailable on this firmware" instead of running it. `miniz` is `#undef`'d in the
    /// non-_FULL V1112 build (luatos-soc-2022 project/luatos/inc/luat_conf_bsp.h); `io` is
    /// where the download lands. Checks with none here cannot be unavailable: a board that says
    /// so fails them.
    public var optionalModule: String? {
        switch self {
        case .gzip: return "miniz"
        case .download: return "io"
        default: return nil
        }
    }
}

/// What a check the firmware cannot run (its module is missing) does to the board's verdict:
/// profile key `[qa] unavailable_checks`.
public enum QAUnavailablePolicy: String, Sendable, Codable, CaseIterable {
    /// The board fails, with the missing module as the reason.
    case fail
    /// The check is recorded as unavailable and does not count.
    case skip
}
