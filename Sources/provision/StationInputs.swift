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

    /// What `--dry-run` prints.
    var planText: String {
        var lines = [
            "plan: \(package.plan.images.map { "\($0.kind.rawValue) \($0.size) B" }.joined(separator: ", ")) "
                + "+ QA image per board; production image \(production.bytes.count) B (\(production.sha256.prefix(12)))",
            "flow: " + flow.map(\.rawValue).joined(separator: " → "),
            "store: \(storeURL), batch \"\(batch)\", station \(stationID)",
        ]
        if let simulate {
            lines.append("boards: \(simulate) simulated (\(simBus.rawValue) bus)")
        } else {
            let slots = restrictToLabelledSlots
                ? slotLabels.byPath.keys.sorted().map { slotLabels.slot(at: $0).description }.joined(separator: ", ")
                : "every USB path where a \(profile.name) appears"
            lines.append("boards: real, \(link.rawValue) link, \(source.rawValue) events; slots: \(slots)")
            lines.append(sharedQAServer.map { "QA server: shared, \($0.url)" }
                         ?? ("QA server: \(qaListen)" + (qaPublicURL.map { ", boards use \($0)" } ?? "")))
        }
        if let webhook { lines.append("webhook: \(webhook)") }
        if let reportFolder { lines.append("reports: \(reportFormats.map(\.rawValue).joined(separator: ", ")) into \(reportFolder)") }
        return lines.joined(separator: "\n")
    }
}
