import Foundation
import TOMLKit
import Vocabulary

/// A board profile (`profiles/<name>.toml`): the board's USB identities, baud rates, the software
/// boot-entry sequence, per-step deadlines and retries, and the QA plan. Loaded and validated
/// here so a typo or an out-of-range value is refused before any board is touched.
public struct Profile: Sendable, Equatable {
    /// Interface numbers of the running firmware's CDC-ACM ports.
    public struct RunningInterfaces: Sendable, Equatable {
        public let socLog: Int
        public let trace: Int
        public let vuart: Int

        public init(socLog: Int, trace: Int, vuart: Int) {
            self.socLog = socLog
            self.trace = trace
            self.vuart = vuart
        }
    }

    /// One step of the software boot entry: bytes to send, then a pause.
    public struct BootEntryStep: Sendable, Equatable {
        public let bytes: [UInt8]
        public let waitAfter: Duration
    }

    public let name: String
    public let description: String
    public let chip: String
    public let downloadMode: USBID
    /// `[usb.download] accept_single_port_running_id`: whether a device with the running ID but
    /// one CDC port and none of the running interfaces is download mode (one third-party script
    /// for a later chip treats it so, spec ec618 §10 item 2). Default false: every EC618 source
    /// uses `17D1:0001`, so such a device is reported as an unknown shape.
    public let acceptsSinglePortRunningID: Bool
    public let runningMode: USBID
    public let runningInterfaces: RunningInterfaces
    public let downloadBaud: Int
    public let runtimeBaud: Int
    public let agentBootBaud: Int
    /// The first boot-entry strategy's steps (`[boot_entry] steps`).
    public let bootEntrySteps: [BootEntryStep]
    /// The first boot-entry strategy's deadline (`[boot_entry] download_mode_deadline_ms`).
    public let downloadModeDeadline: Duration
    /// Every boot-entry strategy in the order they are tried: `[boot_entry]` itself first, then
    /// each `[[boot_entry.strategies]]`.
    public let bootEntryStrategies: [BootEntryStrategy]
    /// `[phases]`: the deadline per station step (the table keeps its older name; its keys are
    /// `StationStep` names, and no other key is accepted).
    public let stepDeadlines: [StationStep: Duration]
    /// `[retries]`: retry counts by budget (`flash`, `boot_entry`, …; no other key is accepted).
    public let retries: [RetryBudget: Int]
    public let qaChecks: [QACheck]
    public let qaAttachBudget: Duration
    public let qaCheckTimeout: Duration
    public let qaDownloadBytes: Int
    public let qaUploadBytes: Int
    /// More URLs the QA script fetches (GET, must answer 200), beyond the station's own checks.
    public let qaExtraURLs: [String]
    /// `[qa] unavailable_checks`: `fail` (default) or `skip`, what a check the firmware cannot
    /// run (e.g. gzip without `miniz` on a non-_FULL build) does to the board's verdict.
    public let qaUnavailableChecks: QAUnavailablePolicy
    /// `[station] flow`: the steps each board goes through, in order (default: DESIGN.md's full
    /// pipeline). A shorter flow is a profile change, not a code change.
    public let flow: [StationStep]
    /// `[station] boot_check_ms`: how long the freshly flashed app must run without a Lua error.
    public let bootCheckWindow: Duration
    /// `[qa] app_log`: the app-log expectations file (JSON) of the `app_log` step, resolved
    /// against the profile's folder; nil when the profile has none.
    public let appLogPath: String?
    /// `[station] app_log_ms`: how long the app may take to print what `app_log` expects.
    public let appLogWindow: Duration
    /// `[station] log_escaping`: how the x.2 log frames escape `7E`/`7D` (an open question of
    /// luatos-formats §6).
    public let logEscaping: LogEscaping
    /// What every plan is checked against before a board is touched: the built-in EC618
    /// calibration and NV regions plus the profile's `[flash] protected`.
    public let flashGuard: FlashWriteGuard
    /// Each board's own data: fskv keys and LittleFS files from per-board rows (`[provisioning]`).
    public let boardData: BoardDataLayout
    /// `[gates]`: the identity gates run after the QA verdict (all off without the table). The
    /// command line may add to them (`--label-scan`).
    public var gates: IdentityGateSettings
    /// Where it was loaded from.
    public let source: String

    /// Every step name a flow or `[phases]` may use: `StationStep`'s, so a new step is known
    /// here without touching this file.
    public static let knownSteps = StationStep.allCases.map(\.rawValue)

    /// Steps a profile must give a deadline for.
    public static let stepsNeedingDeadlines = StationStep.allCases.filter(\.deadlineRequired).map(\.rawValue)

    /// DESIGN.md's station pipeline: the default `[station] flow`.
    public static let defaultFlow = StationStep.fullFlow.map(\.rawValue)

    /// The range every number of a profile must fall in, by kind. Generous for any real line, yet
    /// small enough that the station's sums and unit conversions of them (deadlines, the QA
    /// plan's budget) cannot overflow: a value near Int64.max used to crash the station at start
    /// or mid-board.
    public enum Bounds {
        /// Durations in milliseconds (`*_ms`): 1 ms to 24 h.
        public static let milliseconds = 1...86_400_000
        /// Pauses in milliseconds (`boot_entry.steps[].wait_ms`): none to 24 h.
        public static let pauseMilliseconds = 0...86_400_000
        /// Step deadlines in seconds (`phases.*`): 1 s to 24 h.
        public static let stepSeconds = 1...86_400
        /// Bytes a QA check moves (`qa.download_bytes`, `qa.upload_bytes`): 1 B to 16 MiB, four
        /// times the board's whole AP flash.
        public static let qaBytes = 1...16 * 1024 * 1024
        /// Retry counts (`retries.*`).
        public static let retries = 0...10
        /// Baud rates (`serial.*`): up to 100 Mbaud, far above any EC618 UART or USB-CDC setting.
        public static let baud = 1...100_000_000

        /// Why `value` cannot be `key`, or nil when it lies in `range`. One wording for every
        /// bounded number, whether a profile key or a command-line option carries it, so an
        /// operator reads the same kind of line wherever the number came from.
        public static func refusal(_ value: Int, key: String, range: ClosedRange<Int>, unit: String) -> String? {
            range.contains(value) ? nil
                : "\(key) must be \(range.lowerBound)–\(range.upperBound)\(unit.isEmpty ? "" : " " + unit) (got \(value))"
        }
    }

    /// The steps that sign a board off: a flow needs one of them, or boards would be recorded
    /// as passed on the strength of a flash alone.
    public static let signOffSteps = StationStep.allCases.filter(\.signsOff).map(\.rawValue)

    /// Parses profile text. `source` names it in errors.
    public init(toml text: String, source: String) throws {
        if let reason = TOMLPreflight.refusal(in: text) { throw FirmwareError(file: source, reason: reason) }
        let file: ProfileFile
        do {
            file = try TOMLDecoder(strictDecoding: true).decode(ProfileFile.self, from: text)
        } catch {
            throw FirmwareError(file: source, reason: Self.describe(error))
        }
        func refuse(_ reason: String) -> FirmwareError { FirmwareError(file: source, reason: reason) }
        func identity(_ i: ProfileFile.USB.Identity, _ key: String) throws -> USBID {
            guard (0...0xFFFF).contains(i.vendor_id), (0...0xFFFF).contains(i.product_id) else {
                throw refuse("\(key): vendor_id and product_id must be 16-bit values")
            }
            return USBID(vendor: UInt16(i.vendor_id), product: UInt16(i.product_id))
        }
        func bounded(_ value: Int, _ key: String, _ range: ClosedRange<Int>, _ unit: String) throws -> Int {
            if let reason = Bounds.refusal(value, key: key, range: range, unit: unit) { throw refuse(reason) }
            return value
        }
        func milliseconds(_ value: Int, _ key: String) throws -> Duration {
            .milliseconds(try bounded(value, key, Bounds.milliseconds, "ms"))
        }

        name = file.board.name
        description = file.board.description ?? ""
        chip = file.board.chip
        guard chip.lowercased() == EC618FlashMap.chipType else {
            throw refuse("board.chip is \"\(chip)\"; this tool supports \(EC618FlashMap.chipType) only")
        }
        downloadMode = try identity(file.usb.download.asIdentity, "usb.download")
        acceptsSinglePortRunningID = file.usb.download.accept_single_port_running_id ?? false
        runningMode = try identity(file.usb.running.asIdentity, "usb.running")
        let ifs = file.usb.running.interfaces
        guard Set([ifs.soc_log, ifs.trace, ifs.vuart]).count == 3,
              [ifs.soc_log, ifs.trace, ifs.vuart].allSatisfy({ (0...31).contains($0) }) else {
            throw refuse("usb.running.interfaces: soc_log, trace and vuart must be distinct interface numbers 0–31")
        }
        runningInterfaces = RunningInterfaces(socLog: ifs.soc_log, trace: ifs.trace, vuart: ifs.vuart)
        downloadBaud = try bounded(file.serial.download_baud, "serial.download_baud", Bounds.baud, "baud")
        runtimeBaud = try bounded(file.serial.runtime_baud, "serial.runtime_baud", Bounds.baud, "baud")
        agentBootBaud = try bounded(file.serial.agentboot_baud, "serial.agentboot_baud", Bounds.baud, "baud")

        func steps(_ list: [ProfileFile.BootEntry.Step], _ prefix: String) throws -> [BootEntryStep] {
          try list.enumerated().map { index, step in
            let key = "\(prefix)[\(index)]"
            let bytes: [UInt8]
            switch (step.send, step.send_hex) {
            case (let text?, nil): bytes = Array(text.utf8)
            case (nil, let hex?):
                guard let decoded = Self.decodeHex(hex) else { throw refuse("\(key).send_hex is not hex: \"\(hex)\"") }
                bytes = decoded
            default: throw refuse("\(key) needs exactly one of send or send_hex")
            }
            guard !bytes.isEmpty else { throw refuse("\(key) sends nothing") }
            let wait = try bounded(step.wait_ms, "\(key).wait_ms", Bounds.pauseMilliseconds, "ms")
            return BootEntryStep(bytes: bytes, waitAfter: .milliseconds(wait))
          }
        }
        guard !file.boot_entry.steps.isEmpty else { throw refuse("boot_entry.steps is empty") }
        bootEntrySteps = try steps(file.boot_entry.steps, "boot_entry.steps")
        downloadModeDeadline = try milliseconds(file.boot_entry.download_mode_deadline_ms,
                                                "boot_entry.download_mode_deadline_ms")
        var strategies = [BootEntryStrategy(name: BootEntryStrategy.firstName, steps: bootEntrySteps,
                                            operatorPrompt: nil, downloadModeDeadline: downloadModeDeadline)]
        for (index, more) in (file.boot_entry.strategies ?? []).enumerated() {
            let key = "boot_entry.strategies[\(index)]"
            guard !more.name.isEmpty, !strategies.contains(where: { $0.name == more.name }) else {
                throw refuse("\(key).name must be a name no other boot-entry strategy has (got \"\(more.name)\")")
            }
            let sent = try steps(more.steps ?? [], "\(key).steps")
            let prompt = more.operator_prompt
            guard sent.isEmpty != (prompt == nil) else {
                throw refuse("\(key) needs exactly one of steps (sent on x.2) or operator_prompt (shown to the operator)")
            }
            if let prompt, prompt.isEmpty { throw refuse("\(key).operator_prompt is empty") }
            strategies.append(BootEntryStrategy(
                name: more.name, steps: sent, operatorPrompt: prompt,
                downloadModeDeadline: try milliseconds(more.download_mode_deadline_ms, "\(key).download_mode_deadline_ms")))
        }
        bootEntryStrategies = strategies

        // A table of names: the decoder takes any key, so a typo (`flash_ful`) is refused here,
        // naming it, instead of leaving its step on no deadline.
        let known = Self.knownSteps
        if let unknown = file.phases.keys.sorted().first(where: { !known.contains($0) }) {
            throw refuse("unknown key phases.\(unknown); known: " + known.joined(separator: ", "))
        }
        let budgetNames = RetryBudget.allCases.map(\.rawValue)
        if let unknown = file.retries.keys.sorted().first(where: { !budgetNames.contains($0) }) {
            throw refuse("unknown key retries.\(unknown); known: " + budgetNames.joined(separator: ", "))
        }
        for phase in Self.stepsNeedingDeadlines where file.phases[phase] == nil {
            throw refuse("phases.\(phase) is missing (deadline in seconds)")
        }
        var deadlines: [StationStep: Duration] = [:]
        for (phase, seconds) in file.phases {
            guard let step = StationStep(rawValue: phase) else { continue }   // refused above
            deadlines[step] = .seconds(try bounded(seconds, "phases.\(phase)", Bounds.stepSeconds, "s"))
        }
        stepDeadlines = deadlines
        // A strategy the step's deadline cuts off would never be tried, and the diagnosis of the
        // ones before it would be lost to a plain timeout. Each deadline is at most 24 h, so the
        // sum of a profile's few strategies cannot overflow.
        let bootEntryTotal = strategies.reduce(Duration.zero) { $0 + $1.downloadModeDeadline }
        if strategies.count > 1, let step = deadlines[.enterDownloadMode], bootEntryTotal > step {
            throw refuse("boot_entry: the strategies wait \(bootEntryTotal) in all, longer than phases.enter_download_mode "
                         + "(\(step)); the later ones would never run")
        }
        var budgets: [RetryBudget: Int] = [:]
        for (key, count) in file.retries.sorted(by: { $0.key < $1.key }) {
            guard let budget = RetryBudget(rawValue: key) else { continue }   // refused above
            budgets[budget] = try bounded(count, "retries.\(key)", Bounds.retries, "tries")
        }
        retries = budgets

        let unknown = file.qa.checks.filter { QACheck(rawValue: $0) == nil }
        guard unknown.isEmpty else {
            throw refuse("qa.checks: unknown check \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); known: "
                         + QACheck.allCases.map(\.rawValue).sorted().joined(separator: ", "))
        }
        guard Set(file.qa.checks).count == file.qa.checks.count else { throw refuse("qa.checks lists a check twice") }
        qaChecks = file.qa.checks.compactMap(QACheck.init(rawValue:))
        qaAttachBudget = try milliseconds(file.qa.attach_budget_ms, "qa.attach_budget_ms")
        qaCheckTimeout = try milliseconds(file.qa.check_timeout_ms, "qa.check_timeout_ms")
        qaDownloadBytes = try bounded(file.qa.download_bytes, "qa.download_bytes", Bounds.qaBytes, "bytes")
        qaUploadBytes = try bounded(file.qa.upload_bytes, "qa.upload_bytes", Bounds.qaBytes, "bytes")
        let extra = file.qa.extra_urls ?? []
        for url in extra {
            guard let parts = URLComponents(string: url), ["http", "https"].contains(parts.scheme ?? ""),
                  !(parts.host ?? "").isEmpty else {
                throw refuse("qa.extra_urls: \"\(url)\" is not an http(s) URL")
            }
        }
        qaExtraURLs = extra
        let policy = file.qa.unavailable_checks ?? QAUnavailablePolicy.fail.rawValue
        guard let qaUnavailableChecks = QAUnavailablePolicy(rawValue: policy) else {
            throw refuse("qa.unavailable_checks must be "
                         + QAUnavailablePolicy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                         + " (got \"\(policy)\")")
        }
        self.qaUnavailableChecks = qaUnavailableChecks

        let station = file.station
        let flowNames = station?.flow ?? Self.defaultFlow
        guard !flowNames.isEmpty else { throw refuse("station.flow is empty") }
        if let unknown = flowNames.first(where: { StationStep(rawValue: $0) == nil }) {
            throw refuse("station.flow: unknown step \"\(unknown)\"; known: " + known.joined(separator: ", "))
        }
        flow = flowNames.compactMap(StationStep.init(rawValue:))
        appLogPath = file.qa.app_log.map { path in
            path.hasPrefix("/") ? path : ((source as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
        }
        guard flow.contains(where: \.signsOff) else {
            throw refuse("station.flow has no sign-off step (one of " + Self.signOffSteps.joined(separator: ", ")
                         + "): every board would pass unchecked")
        }
        // An empty list would make the qa step a pass with nothing checked. A flow without `qa`
        // never runs these checks, so there the list may be empty.
        if flow.contains(.qa) && qaChecks.isEmpty {
            throw refuse("qa.checks is empty: the qa step would pass a board without checking anything")
        }
        if flow.contains(.appLog) && appLogPath == nil {
            throw refuse("station.flow has app_log but qa.app_log names no expectations file")
        }
        appLogWindow = try milliseconds(station?.app_log_ms ?? 60_000, "station.app_log_ms")
        bootCheckWindow = try milliseconds(station?.boot_check_ms ?? 5000, "station.boot_check_ms")
        let escaping = station?.log_escaping ?? LogEscaping.airm2m.rawValue
        guard let logEscaping = LogEscaping(rawValue: escaping) else {
            throw refuse("station.log_escaping: unknown value \"\(escaping)\"; known: "
                         + LogEscaping.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.logEscaping = logEscaping
        flashGuard = FlashWriteGuard(extra: try file.flash?.regions(refuse: refuse) ?? [])
        boardData = try file.provisioning?.layout(refuse: refuse) ?? BoardDataLayout()
        gates = try IdentityGateSettings.decode(file.gates, refuse: refuse)
        self.source = source
    }

    /// Loads a profile by file path, or by name from the profile folders (`searchFolders()`).
    public static func load(_ nameOrPath: String) throws -> Profile {
        let path: String
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            path = nameOrPath
        } else {
            guard let found = locate(nameOrPath) else {
                throw FirmwareError(file: "\(nameOrPath).toml", reason:
                    "no such profile; looked in " + searchFolders().joined(separator: ", "))
            }
            path = found
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FirmwareError(file: path, reason: "cannot read the profile")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FirmwareError(file: path, reason: "not UTF-8 text")
        }
        return try Profile(toml: text, source: path)
    }

    /// The profile folders, in search order: `$PROVISION_PROFILES`, `./profiles`, the source
    /// checkout the binary was built in, `$PROVISION_DATA_DIR/profiles`, `/etc/provision/profiles`
    /// (site-local), then the package's `/usr/share/provision/profiles`. A checkout's profiles
    /// come before the installed ones so a development build never runs stale installed profiles.
    public static func searchFolders(environment: [String: String] = ProcessInfo.processInfo.environment,
                                     currentDirectory: String = FileManager.default.currentDirectoryPath,
                                     executable: String = CommandLine.arguments.first ?? ".") -> [String] {
        var folders: [String] = []
        if let env = environment["PROVISION_PROFILES"], !env.isEmpty { folders.append(env) }
        folders.append(currentDirectory + "/profiles")
        if let checkout = checkoutFolder(executable: executable) { folders.append(checkout + "/profiles") }
        if let data = environment[InstalledLayout.dataFolderVariable], !data.isEmpty { folders.append(data + "/profiles") }
        folders += [InstalledLayout.localProfilesFolder, InstalledLayout.profilesFolder]
        var seen = Set<String>()
        return folders.filter { seen.insert($0).inserted }
    }

    /// The source checkout a development build lives in (`<checkout>/.build/<triple>/debug/`):
    /// the first folder above the executable holding a Package.swift, five levels at most.
    static func checkoutFolder(executable: String) -> String? {
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir.path }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The file `load` would read for a profile name, and the folder it came from; nil when
    /// no folder has it.
    public static func locate(_ name: String, in folders: [String] = searchFolders()) -> String? {
        folders.map { "\($0)/\(name).toml" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        let digits = Array(text.filter { !$0.isWhitespace })
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let b = UInt8(String(digits[i...i + 1]), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }

    private static func describe(_ error: Error) -> String {
        if let parse = error as? TOMLParseError {
            return "TOML syntax error at line \(parse.source.begin.line): \(parse.description)"
        }
        if let unexpected = error as? UnexpectedKeysError {
            let keys = unexpected.keys.keys.sorted()
            return "unknown key\(keys.count > 1 ? "s" : "") \(keys.joined(separator: ", "))"
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing key \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            return "wrong type for \(context.codingPath.map(\.stringValue).joined(separator: ".")): "
                + context.debugDescription
        default:
            return "\(error)"
        }
    }
}

/// The on-disk shape of a profile; key names are the TOML keys.
struct ProfileFile: Decodable {
    struct Board: Decodable { let name: String; let description: String?; let chip: String }
    struct USB: Decodable {
        struct Identity: Decodable { let vendor_id: Int; let product_id: Int }
        struct Download: Decodable {
            let vendor_id: Int; let product_id: Int
            let accept_single_port_running_id: Bool?
        }
        struct Running: Decodable {
            let vendor_id: Int; let product_id: Int
            let interfaces: Interfaces
        }
        struct Interfaces: Decodable { let soc_log: Int; let trace: Int; let vuart: Int }
        let download: Download
        let running: Running
    }
    struct Serial: Decodable { let download_baud: Int; let runtime_baud: Int; let agentboot_baud: Int }
    struct BootEntry: Decodable {
        struct Step: Decodable { let send: String?; let send_hex: String?; let wait_ms: Int }
        /// A strategy tried after the first one (`[[boot_entry.strategies]]`).
        struct Strategy: Decodable {
            let name: String
            let steps: [Step]?
            let operator_prompt: String?
            let download_mode_deadline_ms: Int
        }
        let steps: [Step]
        let download_mode_deadline_ms: Int
        let strategies: [Strategy]?
    }
    struct QA: Decodable {
        let checks: [String]
        let attach_budget_ms: Int
        let check_timeout_ms: Int
        let download_bytes: Int
        let upload_bytes: Int
        let extra_urls: [String]?
        let app_log: String?
        let unavailable_checks: String?
    }
    let board: Board
    let usb: USB
    let serial: Serial
    let boot_entry: BootEntry
    let phases: [String: Int]
    let retries: [String: Int]
    let qa: QA
    struct Station: Decodable {
        let flow: [String]?; let boot_check_ms: Int?; let log_escaping: String?; let app_log_ms: Int?
    }
    let station: Station?
    let flash: ProfileFlashFile?
    let provisioning: ProfileProvisioningFile?
    let gates: Gates?
}

extension ProfileFile.USB.Download {
    var asIdentity: ProfileFile.USB.Identity { .init(vendor_id: vendor_id, product_id: product_id) }
}

extension ProfileFile.USB.Running {
    var asIdentity: ProfileFile.USB.Identity { .init(vendor_id: vendor_id, product_id: product_id) }
}
