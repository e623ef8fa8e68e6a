extension NetworkFaults {
    /// The network fault names `provision verify --fault` takes: the one list its parser, its
    /// help and its error read.
    public enum Kind: String, Sendable, CaseIterable {
        case noAttach = "no-attach"
        /// `drop=TEXT`: drop the connection of requests whose URL contains TEXT.
        case drop
        case alterUpload = "alter-upload"
        case corruptDownload = "corrupt-download"
        /// `latency=MS`: extra delay before every request.
        case latency

        /// How the kind is written: `drop=TEXT`, `latency=MS`, or the bare name.
        public var form: String {
            switch self {
            case .drop: return "\(rawValue)=TEXT"
            case .latency: return "\(rawValue)=MS"
            case .noAttach, .alterUpload, .corruptDownload: return rawValue
            }
        }

        /// Every form, for help and error messages.
        public static var forms: String { allCases.map(\.form).joined(separator: " | ") }
    }

    /// Adds one `KIND` or `KIND=VALUE`. A latency is given to `latency` to bound (the caller
    /// names its own option in the refusal); nil from it refuses the value.
    public mutating func add(_ spec: String,
                             latency: (Int) throws -> Duration) throws {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        let value = parts.count == 2 ? parts[1] : nil
        guard let kind = Kind(rawValue: parts.first ?? ""), (value != nil) == (kind.form != kind.rawValue) else {
            throw NetworkFaultSpecError(spec: spec)
        }
        switch kind {
        case .noAttach: noAttach = true
        case .alterUpload: alterRequestBodyMatching = "/upload"
        case .corruptDownload: corruptResponseBodyMatching = "/download"
        case .drop: dropConnectionsMatching = value
        case .latency:
            guard let ms = value.flatMap({ Int($0) }) else { throw NetworkFaultSpecError(spec: spec) }
            extraLatency = try latency(ms)
        }
    }
}

/// A network fault the simulated link does not know, or a kind missing or given a value.
public struct NetworkFaultSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public let spec: String
    public var description: String { "--fault \(spec): unknown fault; one of \(NetworkFaults.Kind.forms)" }
}
