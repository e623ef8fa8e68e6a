import BoardSim
import SimulatedLine
import Firmware
import Hotplug
import Foundation
import LuaImage
import QA
import Records
import Station
import Vocabulary

/// The station's inputs once validated: the command line, station.toml and the profile merged.
struct StationInputs: Sendable {
    let soc: String
    let scripts: [String]
    let package: SocPackage
    let agentBoot: [UInt8]
    let profile: Profile
    let production: ScriptImage
    let scriptOptions: ScriptImageOptions
    let qaFolder: String
    let storeURL: String
    let batch: String
    let operatorID: String?
    let workOrder: String?
    let stationID: String
    let slotLabels: SlotLabels
    /// Whether only the labelled paths are slots (`--slots` or `[slots]` named some).
    let restrictToLabelledSlots: Bool
    let link: BoardLinkKind
    let source: MonitorSource
    let qaListen: StationConfig.ListenAddress
    let qaPublicURL: String?
    let webhook: String?
    let onPass: String?
    let reportFolder: String?
    let reportFormats: [ReportFormat]
    let count: Int?
    let once: Bool
    let simulate: Int?
    let simFaults: [Int: Set<SimulatedBoardFault>]
    /// `--sim-faults random:SEED:RATE`: a fault drawn per board.
    var simRandomFaults: RandomFaultPlan?
    let simTiming: SimTiming
    let simBus: SimulatedFixture.Bus
    /// What simulated boards' host names resolve to (`--sim-host`, `simulation.hosts`).
    let simNetwork: SimulatedNetwork
    /// The `app_log` step's expectations, when the profile's flow has that step.
    let appLog: AppLogPlan?
    /// The https listener's certificate (nil: a self-signed one is made when the plan has https).
    let tls: QATLSIdentity?
    /// A shared QA server judges the boards (nil: the station's own).
    let sharedQAServer: StationRunConfiguration.SharedQAServer?
    /// `--qa-local-boards`: real boards that are simulated on this machine reach loopback.
    let boardsOnThisMachine: Bool
    /// `--verify`: read every image back after writing it.
    var verify = false
    /// `--pool` / `--board-data`: where boards get their per-board data.
    var boardData: StationRunConfiguration.BoardDataPlan? = nil
    /// The folder of the `--pool`/`--board-data` file: file names in its rows are read from there.
    var boardFilesFolder: String? = nil
    /// `--rework` / `station.rework`: a board whose IMEI already passed is taken again, linked.
    var rework = false
    /// `--label-scan` / `station.label_scan`: the label gate reads labels from the terminal.
    var labelScan = false
    /// `--console`: where the live page is served (nil: no page), and the token its actions need.
    var console: HostPort?
    var consoleToken: String?

    /// The https check's listener: the certificate and where boards reach it, or why there is none.
    func httpsListener() throws -> (identity: QATLSIdentity, port: Int, publicURL: String?)? {
        let host = qaPublicURL.flatMap { URLComponents(string: $0)?.host } ?? qaListen.host
        var port = 0
        var publicURL: String?
        if qaPublicURL != nil {
            // Boards reach the station from outside: https sits on the next port, known in advance.
            guard qaListen.port != 0 else { return nil }
            port = qaListen.port + 1
            publicURL = "https://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
        return (try tls ?? QATLSIdentity.selfSigned(host: host), port, publicURL)
    }

    var flow: [StationStep] { profile.flow }

    /// The profile's plan; simulated boards get the budgets of boards that attach at once. (The
    /// runner drops the https check when there is no certificate for it.) The short check
    /// timeout holds only for this station's own QA server, on this machine: with a shared one
    /// (`--qa-server`) the boards' requests cross a real network, where a lost SYN alone costs
    /// the TCP stack a 1 s, then 3 s retransmission timer, so they keep the profile's check
    /// timeout: the firmware's one timer for the whole request (`opts.timeout`, LuatOS
    /// components/network/libhttp/luat_lib_http.c), with no retry before the headers arrived
    /// (luat_http_client.c `http_resp_error` re-requests only once `headers_complete`).
    var qaPlan: QAPlan {
        let profilePlan = QAPlan(profile: profile)
        guard simulate != nil else { return profilePlan }
        let attachMs = Int(simTiming.attach / .milliseconds(1))
        let checkTimeoutMs = sharedQAServer == nil ? StationRun.simulatedCheckTimeoutMs : profilePlan.checkTimeoutMs
        return QAPlan(checks: profilePlan.checks, attachBudgetMs: StationRun.simulatedAttachBudgetMs + attachMs,
                      checkTimeoutMs: checkTimeoutMs, downloadBytes: profilePlan.downloadBytes,
                      uploadBytes: profilePlan.uploadBytes, unavailableChecks: profilePlan.unavailableChecks)
    }

    /// What `--dry-run` prints.
    var planText: String {
        var lines = [
            "plan: \(package.plan.images.map { "\($0.kind.rawValue) \($0.size) B" }.joined(separator: ", ")) "
                + "+ QA image per board; production image \(production.bytes.count) B (\(production.sha256.prefix(12)))",
            "flow: " + flow.map(\.rawValue).joined(separator: " → "),
            "QA: \(qaPlan.checks.map(\.rawValue).joined(separator: ", ")); attach budget \(qaPlan.attachBudgetMs) ms, "
                + "check timeout \(qaPlan.checkTimeoutMs) ms",
            "store: \(storeURL), batch \"\(batch)\", station \(stationID)",
        ]
        if let simulate {
            lines.append("boards: \(simulate) simulated (\(simBus.rawValue) bus)"
                         + (sharedQAServer.map { "; QA server: shared, \($0.url)" } ?? ""))
        } else {
            let slots = restrictToLabelledSlots
                ? slotLabels.byPath.keys.sorted().map { slotLabels.slot(at: $0).description }.joined(separator: ", ")
                : "every USB path where a \(profile.name) appears"
            lines.append("boards: real, \(link.rawValue) link, \(source.rawValue) events; slots: \(slots)")
            lines.append(sharedQAServer.map { "QA server: shared, \($0.url)" }
                         ?? ("QA server: \(qaListen)" + (qaPublicURL.map { ", boards use \($0)" } ?? "")))
        }
        if let webhook { lines.append("webhook: \(webhook)") }
        if let onPass { lines.append("on pass: \(onPass)") }
        if let reportFolder { lines.append("reports: \(reportFormats.map(\.rawValue).joined(separator: ", ")) into \(reportFolder)") }
        switch boardData {
        case .pool(let name, let importing, let idColumn)?:
            lines.append("per-board data: pool \(name)" + (importing.map {
                ", after importing \($0.rows.count) row(s) of \($0.file) by \(idColumn) (rows already there are skipped)"
            } ?? "") + "; an empty pool stops the station taking boards")
        case .table(let table)?:
            lines.append("per-board data: \(table.count) row(s) of \(table.file), looked up by \(table.keyColumn)")
        case nil: break
        }
        return lines.joined(separator: "\n")
    }
}
