import Firmware
import Foundation
import Hotplug
import Records
import TOMLKit

/// The station config (`station.toml`): what the operator writes once per station PC — its id in
/// a shared store, the profile, the results store, where reports and webhook records go, how
/// download-mode boards are flashed, the QA server's address, and the fixture's slot labels.
///
/// Every key is optional, so an empty file is a valid config (the command line's defaults hold).
/// Parsing is strict: an unknown key or a bad value is refused with the file and the key named,
/// before any board is touched.
public struct StationConfig: Sendable, Equatable {
    /// One fixture slot: a physical USB path (`1-1.3`) and the label the operator sees.
    public struct SlotEntry: Sendable, Equatable {
        public let path: String
        public let label: String

        public init(path: String, label: String) {
            self.path = path
            self.label = label
        }
    }

    /// An address to bind: a host name or IP (IPv6 without brackets) and a port (0 = any free).
    public typealias ListenAddress = HostPort

    /// `station.id`: the station's id in a shared results store.
    public var stationID: String?
    /// `simulation.hosts`: `NAME=HOST:PORT` names simulated boards' apps use, mapped to addresses
    /// on this machine (checked when the simulated line is built).
    public var simulationHosts: [String] = []

    /// `station.profile`: a profile name or path.
    public var profile: String?
    /// `station.store`: `sqlite:PATH`, `postgres://…` or `postgresql://…`.
    public var store: String?
    /// `station.report_folder`: where the batch report(s) are written when the station stops.
    public var reportFolder: String?
    /// `station.report_formats`: the formats written there (default `["html"]`).
    public var reportFormats: [ReportFormat]
    /// `station.webhook`: an http(s) URL each board's final record is posted to.
    public var webhook: String?
    /// `station.on_pass`: a shell command run after each pass with the board's record on stdin.
    public var onPass: String?
    /// `station.link`: how boards in download mode are flashed.
    public var link: BoardLinkKind?
    /// `station.console`: where the station's live page is served (`HOST:PORT`; off when absent).
    public var console: String?
    /// `qa.listen`: the address the QA server binds (the station's default is 127.0.0.1:0).
    public var qaListen: ListenAddress?
    /// `qa.public_urls`: URLs boards use to reach the QA server; the first is used, the others are
    /// fallbacks kept for the operator.
    public var qaPublicURLs: [String]
    /// `[slots]`, in file order. When not empty, only these paths are slots.
    public var slots: [SlotEntry]
    /// `station.rework`: rework mode, as `--rework` (a board whose IMEI already passed is taken
    /// again, its record linked to the earlier one).
    public var rework = false
    /// `station.label_scan`: labels are scanned into the station's terminal, as `--label-scan`.
    public var labelScan = false

    public init(stationID: String? = nil, profile: String? = nil, store: String? = nil, reportFolder: String? = nil,
                reportFormats: [ReportFormat] = [.html], webhook: String? = nil, link: BoardLinkKind? = nil,
                qaListen: ListenAddress? = nil, qaPublicURLs: [String] = [], slots: [SlotEntry] = []) {
        self.stationID = stationID
        self.profile = profile
        self.store = store
        self.reportFolder = reportFolder
        self.reportFormats = reportFormats
        self.webhook = webhook
        self.link = link
        self.qaListen = qaListen
        self.qaPublicURLs = qaPublicURLs
        self.slots = slots
    }

    /// `qa.server`: a shared `provision qa-server` judging this station's boards (its token comes
    /// from the command line or the environment, never from this file).
    public var qaServer: String?

    /// The URL boards are given for the QA server, when the config names one.
    public var qaPublicURL: String? { qaPublicURLs.first }

    /// The slots as Hotplug's path → label map (paths were validated when parsed).
    public var slotLabels: SlotLabels {
        SlotLabels(Dictionary(slots.compactMap { s in PhysicalPath(s.path).map { ($0, s.label) } },
                              uniquingKeysWith: { first, _ in first }))
    }

    /// Reads and parses the config at `path`.
    public static func load(path: String) throws -> StationConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the station config"
                : "no such station config"
            throw StationConfigError(file: path, reason: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StationConfigError(file: path, reason: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> StationConfig {
        if let reason = TOMLPreflight.refusal(in: text) { throw StationConfigError(file: file, reason: reason) }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw StationConfigError(file: file, reason:
                "TOML syntax error at line \(error.source.begin.line): \(error.description)")
        }
        return try StationConfigReader(file: file).read(root, text: text)
    }
}

/// A station config that cannot be used: the file and what is wrong, naming the key.
public struct StationConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

/// Walks the parsed TOML table by hand rather than through `Decodable`: the decoder reports a
/// wrong type as a missing key and cannot say where a key sits in the file, and the operator
/// needs both the key's full name and the slots in the order they were written.
private struct StationConfigReader {
    let file: String

    private static let keys: [String: [String]] = [
        "": ["station", "qa", "slots", "simulation"],
        "station": ["id", "profile", "store", "report_folder", "report_formats", "webhook", "on_pass", "link", "rework", "label_scan", "console"],
        "qa": ["listen", "public_urls", "server"],
        "simulation": ["hosts"],
    ]

    func read(_ root: TOMLTable, text: String) throws -> StationConfig {
        try refuseUnknownKeys(root, section: "")
        var config = StationConfig()
        if let station = try table(root, "station") {
            try refuseUnknownKeys(station, section: "station")
            config.stationID = try string(station, "id", section: "station")
            config.profile = try string(station, "profile", section: "station")
            config.store = try string(station, "store", section: "station").map { try store($0) }
            config.reportFolder = try string(station, "report_folder", section: "station")
            if let formats = try strings(station, "report_formats", section: "station") {
                config.reportFormats = try reportFormats(formats)
            }
            config.webhook = try string(station, "webhook", section: "station")
                .map { try httpURL($0, key: "station.webhook") }
            config.onPass = try string(station, "on_pass", section: "station")
            config.console = try string(station, "console", section: "station")
            config.link = try string(station, "link", section: "station").map { (value: String) throws -> BoardLinkKind in
                guard let link = BoardLinkKind(rawValue: value) else {
                    throw refuse("station.link: \"\(value)\" is not a link; use "
                                 + BoardLinkKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or "))
                }
                return link
            }
            config.rework = try bool(station, "rework", section: "station") ?? false
            config.labelScan = try bool(station, "label_scan", section: "station") ?? false
        }
        if let qa = try table(root, "qa") {
            try refuseUnknownKeys(qa, section: "qa")
            config.qaListen = try string(qa, "listen", section: "qa").map { try listenAddress($0) }
            config.qaPublicURLs = try strings(qa, "public_urls", section: "qa")?
                .map { try httpURL($0, key: "qa.public_urls") } ?? []
            config.qaServer = try string(qa, "server", section: "qa").map { try httpURL($0, key: "qa.server") }
        }
        if let slots = try table(root, "slots") {
            config.slots = try slotEntries(slots, text: text)
        }
        if let simulation = try table(root, "simulation") {
            try refuseUnknownKeys(simulation, section: "simulation")
            if let hosts = try strings(simulation, "hosts", section: "simulation") {
                for host in hosts where HostMapping(host) == nil {
                    throw refuse("simulation.hosts: \"\(host)\" is not \(HostMapping.form)")
                }
                config.simulationHosts = hosts
            }
        }
        return config
    }

    private func refuse(_ reason: String) -> StationConfigError { StationConfigError(file: file, reason: reason) }

    // MARK: Types

    private func refuseUnknownKeys(_ table: TOMLTable, section: String) throws {
        let known = Self.keys[section] ?? []
        let unknown = table.keys.filter { !known.contains($0) }.map { Self.name(section, $0) }
        guard unknown.isEmpty else {
            throw refuse("unknown key\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")); "
                         + (section.isEmpty ? "known tables" : "known keys in [\(section)]") + ": "
                         + known.joined(separator: ", "))
        }
    }

    private func table(_ parent: TOMLTable, _ key: String) throws -> TOMLTable? {
        guard let value = parent[key] else { return nil }
        guard let table = value.table else {
            throw refuse("\(key): expected a table ([\(key)]), got \(Self.kind(value.type))")
        }
        return table
    }

    /// A string value; an empty one is refused, as it can only be a mistake.
    private func string(_ table: TOMLTable, _ key: String, section: String) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else {
            throw refuse("\(Self.name(section, key)): expected a string, got \(Self.kind(value.type))")
        }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw refuse("\(Self.name(section, key)) is empty")
        }
        return text
    }

    private func bool(_ table: TOMLTable, _ key: String, section: String) throws -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else {
            throw refuse("\(Self.name(section, key)): expected true or false, got \(Self.kind(value.type))")
        }
        return flag
    }

    private func strings(_ table: TOMLTable, _ key: String, section: String) throws -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else {
            throw refuse("\(Self.name(section, key)): expected an array of strings, got \(Self.kind(value.type))")
        }
        return try array.enumerated().map { index, element in
            guard let text = element.string else {
                throw refuse("\(Self.name(section, key))[\(index)]: expected a string, got \(Self.kind(element.type))")
            }
            return text
        }
    }

    // MARK: Values

    private func store(_ value: String) throws -> String {
        let lower = value.lowercased()
        for scheme in ["sqlite:", "postgres://", "postgresql://"] where lower.hasPrefix(scheme) {
            guard value.count > scheme.count else { throw refuse("station.store: \"\(value)\" names no store") }
            return value
        }
        throw refuse("station.store: \"\(value)\" is not a results store; use sqlite:PATH or postgres://USER@HOST:PORT/DB")
    }

    private func reportFormats(_ values: [String]) throws -> [ReportFormat] {
        guard !values.isEmpty else { throw refuse("station.report_formats lists no format") }
        var formats: [ReportFormat] = []
        for value in values {
            guard let format = ReportFormat(rawValue: value) else {
                throw refuse("station.report_formats: \"\(value)\" is not a report format; use "
                             + ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard !formats.contains(format) else {
                throw refuse("station.report_formats lists \"\(value)\" twice")
            }
            formats.append(format)
        }
        return formats
    }

    private func httpURL(_ value: String, key: String) throws -> String {
        guard WebURL.isValid(value) else {
            throw refuse("\(key): \"\(value)\" is not an http:// or https:// URL")
        }
        return value
    }

    private func listenAddress(_ value: String) throws -> StationConfig.ListenAddress {
        guard let address = StationConfig.ListenAddress(value) else {
            throw refuse("qa.listen: \"\(value)\" is not \(StationConfig.ListenAddress.form)")
        }
        return address
    }

    /// `[slots]`: path = label. toml++ keeps a table's keys sorted, not in file order, so the
    /// order is recovered from where each key is written.
    private func slotEntries(_ table: TOMLTable, text: String) throws -> [StationConfig.SlotEntry] {
        var entries: [StationConfig.SlotEntry] = []
        for path in Self.orderInFile(table.keys, text: text) {
            let key = Self.name("slots", path)
            guard let value = table[path] else { continue }
            guard let label = value.string else {
                let hint = value.type == .table ? " (quote a USB path that has dots: \"1-1.3\" = \"A1\")" : ""
                throw refuse("\(key): expected a label string, got \(Self.kind(value.type))\(hint)")
            }
            guard PhysicalPath(path) != nil else {
                throw refuse("\(key): \"\(path)\" is not a USB path such as 1-1.3 (bus-port[.port…])")
            }
            guard !label.trimmingCharacters(in: .whitespaces).isEmpty else { throw refuse("\(key): the label is empty") }
            if let other = entries.first(where: { $0.label == label }) {
                throw refuse("\(key): label \"\(label)\" is already used by \"\(other.path)\"")
            }
            entries.append(StationConfig.SlotEntry(path: path, label: label))
        }
        return entries
    }

    /// `keys` sorted by where each is first written as a key (`"KEY" =`, `'KEY' =` or `KEY =`)
    /// after the `[slots]` header (or anywhere, for an inline table); keys not found keep their
    /// order, last.
    static func orderInFile(_ keys: [String], text: String) -> [String] {
        let start = text.range(of: #"(?m)^[ \t]*\[[ \t]*slots[ \t]*\]"#, options: .regularExpression)?.upperBound
            ?? text.startIndex
        func position(_ key: String) -> Int {
            let k = NSRegularExpression.escapedPattern(for: key)
            let pattern = #"(?m)(?:^|[\s{,.])(?:"\#(k)"|'\#(k)'|\#(k))[ \t]*="#
            guard let found = text.range(of: pattern, options: .regularExpression, range: start..<text.endIndex) else {
                return Int.max
            }
            return text.distance(from: text.startIndex, to: found.lowerBound)
        }
        return keys.enumerated().map { (index: $0.offset, key: $0.element, at: position($0.element)) }
            .sorted { ($0.at, $0.index) < ($1.at, $1.index) }
            .map(\.key)
    }

    /// "an integer", "a string": a TOML type for a message.
    private static func kind(_ type: TOMLType) -> String {
        let name = type.description
        return ("aeiou".contains(name.first ?? "x") ? "an " : "a ") + name
    }

    /// `section.key`, quoting a key that is not a bare TOML key (`slots."1-1.3"`).
    private static func name(_ section: String, _ key: String) -> String {
        let bare = !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        let shown = bare ? key : "\"\(key)\""
        return section.isEmpty ? shown : "\(section).\(shown)"
    }
}
