import ArgumentParser
import BoardSim
import SimulatedLine
import Firmware
import Foundation
import Hotplug
import LuaImage
import QA
import Records
import Station
import Vocabulary

/// `provision --soc X.soc main.lua`: the station. Every input is validated before a board is
/// touched; then each slot runs the pipeline of DESIGN.md on the boards that come and go in it,
/// and every board gets a record.
struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Run a flashing and sign-off station (the default command).",
        discussion: """
            Real boards: the station watches udev for boards in the slots (--slots, or [slots] in \
            --station station.toml; every USB path when neither names any), flashes them over their \
            tty (--link tty) or libusb (--link usb), and runs the QA checks against its own QA \
            server, which the boards reach at --qa-url over 4G.

            Simulated boards (--simulate N) exercise the whole pipeline without hardware: the real \
            flasher writes into simulated EC618s, and the simulated LuatOS runtime runs the QA script \
            against the station's QA server on 127.0.0.1. --sim-fault N=KIND gives board N a fault: \
            \(SimulatedBoardFault.names).

            Settings come from the command line, then station.toml, then the defaults.
            """)

    @OptionGroup var firmware: FirmwarePackageOptions

    @Argument(help: "The production script files or folders (main.lua first).")
    var scripts: [String] = []

    @OptionGroup var boardProfile: BoardProfileOption

    @Option(help: "Station config file (station.toml): slot labels, profile, QA server, store, report folder.")
    var station: String?

    @Option(name: .customLong("slots"), help: ArgumentHelp(
        "Only these USB paths are slots: PATH or PATH=LABEL, comma-separated (repeatable).", valueName: "1-1.1=A1,1-1.2=A2"))
    var slots: [String] = []

    @Option(help: "How boards in download mode are flashed: tty (cdc_acm port) or usb (libusb bulk).")
    var link: BoardLinkKind?

    @Option(help: "Device events: udev (after udevd's rules) or kernel (no udevd needed). Default: udev when udevd runs.")
    var source: MonitorSource?

    @Option(name: .customLong("qa-listen"), help: "Address the QA server binds, HOST:PORT (default 127.0.0.1:0).")
    var qaListen: String?

    @Option(name: .customLong("qa-url"), help: "URL the boards reach the QA server at over 4G (required for real boards unless --qa-server is given).")
    var qaURL: String?

    @Option(name: .customLong("qa-server"), help: "A shared `provision qa-server` that judges the boards instead of a QA server of this station's own (its base URL; station.toml qa.server).")
    var qaServer: String?

    @Option(name: .customLong("qa-token"), help: "The shared QA server's admin token (default: $\(StationCommand.qaTokenVariable)).")
    var qaToken: String?

    @Flag(name: .customLong("qa-local-boards"), help: "The boards run on this machine (USB gadgets simulated here): they may reach the QA server on loopback, so no --qa-url is needed.")
    var qaLocalBoards = false

    @OptionGroup var tls: TLSPairOptions

    @OptionGroup var store: StoreOption

    @OptionGroup var consoleOptions: ConsoleOptions

    @Option(help: "Batch name for the records (default: the date and the .soc name).")
    var batch: String?

    @Option(name: .customLong("operator"), help: "Operator ID for the records.")
    var operatorID: String?

    @Option(name: .customLong("work-order"), help: "Work order for the records.")
    var workOrder: String?

    @Option(help: "POST each board's final record as JSON to this URL (for MES).")
    var webhook: String?

    @Option(name: .customLong("on-pass"), help: ArgumentHelp(
        "After each board passes, run this shell command with the board's record (JSON) on its standard input, "
        + "e.g. to print its label. A failing hook is recorded and never holds the slot.", valueName: "command"))
    var onPass: String?

    @Option(name: .customLong("report-folder"), help: "Write the batch's reports here when the station stops.")
    var reportFolder: String?

    @Option(help: "Attach this many simulated boards instead of real ones.")
    var simulate: Int?

    @Option(name: .customLong("sim-fault"), help: "Give simulated board N a fault: N=KIND (repeatable).")
    var simFaults: [String] = []

    @Option(name: .customLong("sim-faults"), help: ArgumentHelp(
        "Give each simulated board, with chance RATE (0–1), one fault drawn from every kind the simulator has, at a "
            + "drawn point; the same SEED draws the same faults (`provision sim faults` lists them with the verdict each must get).",
        valueName: RandomFaultPlan.form))
    var simRandomFaults: String?

    @Option(name: .customLong("sim-timing"), help: "Simulated boards' timing: fast, or realistic (every phase: flash, USB re-enumeration, boot, 4G attach, the 4G link's round trip and rate; `provision sim line-bound` prints the forecast).")
    var simTiming: SimTimingChoice = .fast

    enum SimTimingChoice: String, ExpressibleByArgument, CaseIterable { case fast, realistic }

    @Option(name: .customLong("sim-host"), help: ArgumentHelp(
        "Map a host name simulated boards' apps use to an address on this machine: NAME=HOST:PORT (repeatable). "
            + "Any other name fails on a simulated board as a DNS failure does; nothing leaves this machine.",
        valueName: "NAME=HOST:PORT"))
    var simHosts: [String] = []

    @Option(name: .customLong("sim-bus"), help: "What simulated boards sit on: memory (fast), or pty (pseudo-terminals that change shape like USB devices. Either way the real-board driver flashes and checks them.")
    var simBus: SimulatedFixture.Bus = .memory

    @Option(help: "Stop after this many boards have a verdict.")
    var count: Int?

    @Flag(help: "Each slot handles one board, then the station stops.")
    var once = false

    @Flag(help: "Rework mode: a board whose IMEI already passed is taken again and its record linked to the earlier one, instead of failing duplicate_imei (station.toml station.rework).")
    var rework = false

    @Flag(name: .customLong("label-scan"), help: "Check each board's label: the operator scans it (a barcode scanner typing into this terminal, a line \"LABEL\" or \"SLOT LABEL\"); a label without the board's IMEI fails label_mismatch (station.toml station.label_scan; profile gates.label_scan, gates.label_timeout_s).")
    var labelScan = false

    @Flag(name: .customLong("dry-run"), help: "Validate every input, print the plan, touch no board.")
    var dryRun = false

    @Flag(help: "Read every flashed image back with READ_MEM and compare; a difference fails the board's flash.")
    var verify = false

    @Flag(help: "One JSON object per event on stdout (for MES).")
    var json = false

    @Option(name: .customLong("station-id"), help: "This station's name in a shared store (default: the host name).")
    var stationID: String?

    @Option(name: .customLong("pool"), help: "Per-board rows (device keys, client ids): import this CSV into the store's pool (rows already there are skipped) and give each board one row; an empty pool stops the station taking boards.")
    var pool: String?

    @Option(name: .customLong("pool-name"), help: "The store's pool boards draw from (default: the --pool file's name without .csv). Alone: draw from a pool imported before (provision pool import).")
    var poolName: String?

    @Option(name: .customLong("pool-id-column"), help: "The --pool column that identifies a row (default \(PoolDefaults.idColumn)).")
    var poolIDColumn: String = PoolDefaults.idColumn

    @Option(name: .customLong("board-data"), help: "Per-board rows keyed by each board's IMEI (or --board-data-key), read at start.")
    var boardData: String?

    @Option(name: .customLong("board-data-key"), help: "The --board-data column boards are looked up by: imei or iccid (default: the profile's provisioning.key_column, imei).")
    var boardDataKey: String?

    func run() async throws {
        do {
            let inputs = try validate()
            let display = StationDisplay(json: json)
            if dryRun {
                display.note(inputs.planText)
                display.note("dry run: no board touched, nothing recorded")
                return
            }
            let counts = try await StationRun(inputs: inputs, display: display).run()
            // Undelivered records outrank a failed board: a failed board is routine on a line, a
            // collector missing records is not, and a script reading only "1" would miss it.
            if counts.undelivered > 0 { throw ExitCode(ProvisionExit.recordsUndelivered) }
            if counts.failed > 0 || counts.other > 0 { throw ExitCode(ProvisionExit.boardFailed) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail(error)
        }
    }

    /// Everything that can be wrong with the input is found here, before any board is touched.
    private func validate() throws -> StationInputs {
        let config = try station.map { try StationConfig.load(path: $0) } ?? StationConfig()
        let soc = firmware.soc
        let package = try firmware.open()
        let agent = try package.requireAgentBoot()
        let boardProfile = try self.boardProfile.load(fallback: config.profile)
        guard !scripts.isEmpty else { throw StationInputError("give the production script: provision --soc X.soc main.lua") }
        let options = try package.scriptImageOptions()
        let production = try ScriptImageBuilder.build(paths: scripts, options: options)
        _ = try package.plan.scriptOnly(production.bytes, source: scripts[0])
        guard let qaFolder = QAScriptImage.defaultScriptFolder(board: boardProfile.name) else {
            throw StationInputError("no QA script folder profiles/\(boardProfile.name)/qa found")
        }
        var appLog: AppLogPlan?
        if boardProfile.flow.contains(.appLog), let path = boardProfile.appLogPath {
            appLog = AppLogPlan(expectations: try AppLogVerifier.load(path), window: boardProfile.appLogWindow)
            if appLog?.expectations.isEmpty == true { throw StationInputError("\(path): lists no expectation") }
        }
        if let count { try OptionBounds.check(count, "--count", OptionBounds.boardCount, "boards") }
        if let simulate { try OptionBounds.check(simulate, "--simulate", OptionBounds.simulatedBoards, "boards") }
        if simulate == nil && !simFaults.isEmpty { throw StationInputError("--sim-fault needs --simulate N") }
        // station.toml's `station.id` refuses an empty id; the option does the same, since an
        // empty id would merge this station's live boards with any other unnamed station's.
        if let stationID, stationID.trimmingCharacters(in: .whitespaces).isEmpty {
            throw StationInputError("--station-id is empty")
        }
        let faults = try parseFaults(lastBoard: lastSimulatedBoard)
        var randomFaults: RandomFaultPlan?
        if let simRandomFaults {
            guard simulate != nil else { throw StationInputError("--sim-faults needs --simulate N") }
            guard simFaults.isEmpty else {
                throw StationInputError("--sim-faults \(simRandomFaults) draws every board's fault; --sim-fault N=KIND "
                                        + "gives them one by one: give one or the other")
            }
            do { randomFaults = try RandomFaultPlan(spec: simRandomFaults) }
            catch { throw StationInputError(error.description) }
        }
        if simulate == nil && !simHosts.isEmpty { throw StationInputError("--sim-host needs --simulate N") }
        var simNetwork: SimulatedNetwork
        do { simNetwork = try SimulatedNetwork().adding(config.simulationHosts) }
        catch { throw StationConfigError(file: station ?? "station.toml", reason: "simulation.hosts: \(error.reason)") }
        do { simNetwork = try simNetwork.adding(simHosts) }
        catch { throw StationInputError("--sim-host: \(error.reason)") }

        var labels = config.slotLabels
        for entry in slots.flatMap({ $0.split(separator: ",").map(String.init) }) {
            let spec = entry.contains("=") ? entry : "\(entry)=\(entry)"
            let parsed = try SlotLabels.parse([spec])
            labels.byPath.merge(parsed.byPath) { _, new in new }
        }
        let listen: StationConfig.ListenAddress
        if let qaListen {
            guard let address = StationConfig.ListenAddress(qaListen) else {
                throw StationInputError("--qa-listen \(qaListen): not \(StationConfig.ListenAddress.form)")
            }
            listen = address
        } else {
            listen = config.qaListen ?? StationConfig.ListenAddress(host: "127.0.0.1", port: 0)
        }
        let shared = try sharedQAServer(config)
        let publicURL = qaURL ?? config.qaPublicURL
        if simulate == nil, shared == nil, publicURL == nil, !qaLocalBoards, !dryRun {
            throw StationInputError("real boards reach the QA server over 4G, not this PC's loopback: give --qa-url URL "
                                    + "(where boards reach this station, e.g. a public host forwarding to --qa-listen "
                                    + "0.0.0.0:PORT), or --qa-server URL (a shared provision qa-server); "
                                    + "--qa-local-boards for boards simulated on this machine")
        }
        if let publicURL {
            guard let parts = URLComponents(string: publicURL), ["http", "https"].contains(parts.scheme ?? ""),
                  !(parts.host ?? "").isEmpty else {
                throw StationInputError("--qa-url \(publicURL): not an http(s) URL")
            }
        } else if ["0.0.0.0", "::", ""].contains(listen.host) {
            throw StationInputError("the QA server listens on \(listen); give --qa-url (or qa.public_urls in station.toml): "
                                    + "the address boards reach this station at")
        }
        let hook = webhook ?? config.webhook
        if let hook {
            guard WebURL.isValid(hook) else {
                throw StationInputError("--webhook \(hook): not an http(s) URL")
            }
        }
        let passHook = onPass ?? config.onPass
        if let passHook, passHook.trimmingCharacters(in: .whitespaces).isEmpty {
            throw StationInputError("--on-pass is empty")
        }
        let tls = try self.tls.identity()
        let perBoard = try boardDataPlan(layout: boardProfile.boardData)
        let folder = reportFolder ?? config.reportFolder
        if let folder {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
                throw StationInputError("--report-folder \(folder): not an existing folder")
            }
        }
        let console = try consoleOptions.resolve(configured: config.console)
        var inputs = StationInputs(
            soc: soc, scripts: scripts, package: package, agentBoot: agent.bytes, profile: boardProfile,
            production: production, scriptOptions: options, qaFolder: qaFolder,
            storeURL: store.db ?? config.store ?? StoreURL.defaultURL, batch: batch ?? Self.defaultBatchName(soc: soc),
            operatorID: operatorID, workOrder: workOrder,
            stationID: stationID ?? config.stationID ?? ProcessInfo.processInfo.hostName,
            slotLabels: labels, restrictToLabelledSlots: !labels.byPath.isEmpty,
            link: link ?? config.link ?? .tty, source: source ?? (SystemProbe.udevdRunning ? .udev : .kernel),
            qaListen: listen, qaPublicURL: publicURL, webhook: hook, onPass: passHook, reportFolder: folder,
            reportFormats: config.reportFormats, count: count, once: once,
            simulate: simulate, simFaults: faults, simTiming: simTiming == .fast ? .fast : .realistic,
            simBus: simBus, simNetwork: simNetwork, appLog: appLog, tls: tls,
            sharedQAServer: shared, boardsOnThisMachine: qaLocalBoards, verify: verify, boardData: perBoard,
            boardFilesFolder: (boardData ?? pool).map { (($0 as NSString).deletingLastPathComponent as NSString).standardizingPath }
                .map { $0.isEmpty ? FileManager.default.currentDirectoryPath : $0 })
        inputs.console = console?.listen
        inputs.consoleToken = console?.token
        inputs.rework = rework || config.rework
        inputs.labelScan = labelScan || config.labelScan
        inputs.simRandomFaults = randomFaults
        return inputs
    }

    /// `--pool` / `--pool-name` / `--board-data`, read and checked before anything is touched.
    private func boardDataPlan(layout: BoardDataLayout) throws -> StationRunConfiguration.BoardDataPlan? {
        if let boardData {
            guard pool == nil, poolName == nil else {
                throw StationInputError("--board-data and --pool each give boards their data: give one or the other")
            }
            let boardDataKey = self.boardDataKey ?? layout.keyColumn
            guard BoardDataLayout.keyColumns.contains(boardDataKey) else {
                throw StationInputError("--board-data-key \(boardDataKey): boards are looked up by imei or iccid")
            }
            return .table(try BoardDataTable(CSVTable(path: boardData), keyColumn: boardDataKey))
        }
        guard pool != nil || poolName != nil else { return nil }
        let table = try pool.map { try CSVTable(path: $0) }
        if let table { _ = try table.column(poolIDColumn) }
        let name = poolName ?? pool.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? ""
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw StationInputError("--pool-name is empty") }
        return .pool(name: name, importing: table, idColumn: poolIDColumn)
    }

    /// The highest board number a simulated run reaches, as the simulated slots number them
    /// (slot k takes boards k, k + N, k + 2N, …): one board per slot with `--once` or without
    /// `--count`, else the `--count` boards when that is more.
    private var lastSimulatedBoard: (number: Int, why: String)? {
        guard let simulate else { return nil }
        if once { return (simulate, "--simulate \(simulate) with --once") }
        guard let count else { return (simulate, "--simulate \(simulate) without --count") }
        return (max(simulate, count), "--simulate \(simulate), --count \(count)")
    }

    /// `--sim-fault N=KIND`, for boards 1 to `lastBoard` (nil: any board may come). A fault for a
    /// board the run never reaches would never fire, and the run would look as if it had been survived.
    private func parseFaults(lastBoard: (number: Int, why: String)?) throws -> [Int: Set<SimulatedBoardFault>] {
        let kinds = SimulatedBoardFault.names
        var faults: [Int: Set<SimulatedBoardFault>] = [:]
        for spec in simFaults {
            let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, let n = Int(parts[0]) else {
                throw StationInputError("--sim-fault \(spec): expected N=KIND with KIND one of \(kinds)")
            }
            guard !parts[1].isEmpty else { throw StationInputError("--sim-fault \(spec): the kind is empty; one of \(kinds)") }
            guard let kind = SimulatedBoardFault(rawValue: parts[1]) else {
                throw StationInputError("--sim-fault \(spec): unknown kind \"\(parts[1])\"; one of \(kinds)")
            }
            guard n >= 1 else { throw StationInputError("--sim-fault \(spec): boards are numbered from 1") }
            if let lastBoard, n > lastBoard.number {
                throw StationInputError("--sim-fault \(spec): board \(n) never comes; this run has boards 1–\(lastBoard.number) "
                                        + "(\(lastBoard.why))")
            }
            faults[n, default: []].insert(kind)
        }
        return faults
    }

    /// Where the admin token of `--qa-server` is read from when `--qa-token` is not given (the
    /// variable `provision qa-server` reads its own token from).
    static let qaTokenVariable = "PROVISION_QA_ADMIN_TOKEN"

    /// `--qa-server` / `qa.server` with its token; it replaces the station's own QA server, so the
    /// options of that server are refused next to it.
    private func sharedQAServer(_ config: StationConfig) throws -> StationRunConfiguration.SharedQAServer? {
        guard let url = qaServer ?? config.qaServer else {
            if qaToken != nil { throw StationInputError("--qa-token goes with --qa-server") }
            return nil
        }
        let clashing = [("--qa-listen", qaListen != nil), ("--qa-url", qaURL != nil), ("--tls-cert", tls.tlsCert != nil),
                        ("--tls-key", tls.tlsKey != nil)].filter(\.1).map(\.0)
        guard clashing.isEmpty else {
            throw StationInputError("--qa-server \(url) judges the boards; \(clashing.joined(separator: ", ")) set up a QA "
                                    + "server of this station's own: give one or the other")
        }
        guard WebURL.isValid(url) else {
            throw StationInputError("--qa-server \(url): not an http(s) URL")
        }
        guard let token = qaToken ?? ProcessInfo.processInfo.environment[Self.qaTokenVariable], !token.isEmpty else {
            throw StationInputError("--qa-server \(url) needs its admin token: --qa-token TOKEN or $\(Self.qaTokenVariable)")
        }
        return StationRunConfiguration.SharedQAServer(url: url, token: token)
    }

    static func defaultBatchName(soc: String) -> String {
        let day = ISO8601DateFormatter.withMilliseconds.string(from: Date()).prefix(10)
        return "\(day) \((soc as NSString).lastPathComponent)"
    }
}

extension BoardLinkKind: ExpressibleByArgument {}
extension SimulatedFixture.Bus: ExpressibleByArgument {}

/// A bad station option.
struct StationInputError: ProvisionFailure {
    let description: String
    init(_ description: String) { self.description = description }
    var exitCode: Int32 { ProvisionExit.inputError }
}
