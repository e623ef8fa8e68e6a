import Foundation
import EC618
import Firmware
import Hotplug
import LuaImage
import QA
import Records
import Vocabulary

/// Everything one start of the station needs, validated by whoever built it (the command line,
/// station.toml and the profile merged), except the boards: those come from a `BoardSource`.
public struct StationRunConfiguration: Sendable {
    /// `sqlite:PATH`, `postgres://…`.
    public var storeURL: String
    public var stationID: String
    public var batch: BatchInfo
    public var profile: Profile
    public var package: SocPackage
    public var agentBoot: [UInt8]
    public var production: ScriptImage
    public var scriptOptions: ScriptImageOptions
    public var qaScriptFolder: String
    /// The checks and budgets boards get (the https check is dropped when there is no listener).
    public var qaPlan: QAPlan
    public var qaListen: HostPort
    /// What boards are told to use instead of the listen address (a tunnel, a public host).
    public var qaPublicURL: String?
    /// The https check's certificate and where boards reach it; nil: no https listener.
    public var https: HTTPSListener?
    /// A shared `provision qa-server` that judges this station's boards instead of a server of
    /// its own (then `qaListen`, `qaPublicURL` and `https` are not used).
    public var sharedQAServer: SharedQAServer?
    /// Boards reach the QA server over 4G (real boards): a URL naming this PC is refused before
    /// any board is touched, a private address gets a note. False for boards on this machine
    /// (simulated boards, USB gadgets simulated here).
    public var boardsUseCarrierNetwork = false
    public var webhook: String?
    /// `--on-pass CMD`: a shell command run after each pass with the board's record on its stdin.
    public var onPass: String?
    public var reportFolder: String?
    public var reportFormats: [ReportFormat] = [.html]
    /// Boards to decide before the station stops on its own (nil: until stopped).
    public var boardLimit: Int?
    /// Stop once a board was decided and none is in flight (`--once` on real boards).
    public var stopWhenIdleAfterFirst = false
    /// Only these slots are the station's (nil: every slot where a board appears).
    public var allowedSlots: Set<PhysicalPath>?
    public var appLog: AppLogPlan?
    /// How boards are reached and judged on their ports.
    public var link: BoardLinkKind = .tty
    public var bootEntry: BootEntrySequence
    public var bootCheck: BootCheckRules
    public var logEscaping: LogEscaping = .airm2m
    public var flasher = FlasherSettings()
    /// Where boards get their per-board data (`--pool`, `--board-data`); nil: none.
    public var boardData: BoardDataPlan?
    /// Where file names in board-data rows are read from (the data file's folder).
    public var boardFilesFolder = FileManager.default.currentDirectoryPath

    /// Per-board data, as the command line named it.
    public enum BoardDataPlan: Sendable {
        /// Rows drawn one per board from the store's pool `name`, after `importing`'s rows (a
        /// `--pool FILE.csv` read before the store is opened) are added to it by `idColumn`.
        case pool(name: String, importing: CSVTable?, idColumn: String)
        /// Rows looked up by the board's key in a file read at start.
        case table(BoardDataTable)
    }
    /// Rework mode (`--rework`, station.toml `station.rework`): a board whose IMEI already passed
    /// is taken again and its record linked to the earlier one, instead of failing `duplicate_imei`.
    public var rework = false
    /// Where the label-scan gate reads labels (`--label-scan`: the terminal); nil: no label input.
    public var labelSource: (any LabelSource)?
    /// Where the duplicate-IMEI gate asks for passed IMEIs; nil: the results store, when it
    /// answers such queries.
    public var passedIMEILookup: (any PassedIMEILookup)?

    /// Where a shared QA server's `/admin` API is, and the token it wants.
    public struct SharedQAServer: Sendable {
        public var url: String
        public var token: String

        public init(url: String, token: String) {
            self.url = url
            self.token = token
        }
    }

    /// The https listener of the QA server.
    public struct HTTPSListener: Sendable {
        public var identity: QATLSIdentity
        /// 0: any free port (boards are told the one it got).
        public var port: Int
        public var publicURL: String?

        public init(identity: QATLSIdentity, port: Int, publicURL: String?) {
            self.identity = identity
            self.port = port
            self.publicURL = publicURL
        }
    }

    public init(storeURL: String, stationID: String, batch: BatchInfo, profile: Profile, package: SocPackage,
                agentBoot: [UInt8], production: ScriptImage, scriptOptions: ScriptImageOptions, qaScriptFolder: String,
                qaPlan: QAPlan, qaListen: HostPort) {
        self.storeURL = storeURL
        self.stationID = stationID
        self.batch = batch
        self.profile = profile
        self.package = package
        self.agentBoot = agentBoot
        self.production = production
        self.scriptOptions = scriptOptions
        self.qaScriptFolder = qaScriptFolder
        self.qaPlan = qaPlan
        self.qaListen = qaListen
        bootEntry = BootEntrySequence(profile: profile)
        bootCheck = BootCheckRules(window: profile.bootCheckWindow)
        logEscaping = profile.logEscaping
    }
}

/// What the station shows its operator besides the slots' events.
public protocol StationObserver: Sendable {
    /// One slot's event (step started, progress, verdict, …).
    func show(_ event: StationEvent)
    /// A message outside any slot (start-up, summary).
    func note(_ text: String)
    /// Something about one slot that is not a run (a device of unknown shape in it).
    func slotNote(path: String, label: String, step: String, _ text: String)
}

/// How a start of the station ended.
public struct StationRunSummary: Sendable, Equatable {
    public var passed: Int
    public var failed: Int
    /// Runs interrupted (a stop, a record that could not be written).
    public var other: Int
    /// Records the webhook did not take; kept in the store's outbox.
    public var undelivered: Int

    public init(passed: Int, failed: Int, other: Int, undelivered: Int) {
        self.passed = passed
        self.failed = failed
        self.other = other
        self.undelivered = undelivered
    }
}
