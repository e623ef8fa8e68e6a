import Firmware
import LuaImage
import QA

/// What every board of one station is flashed with and judged by, simulated or real: the
/// firmware, the production script image, and the QA sessions (the station's own server, or a
/// shared `provision qa-server`) that judge each board.
public struct StationMaterials: Sendable {
    public let package: SocPackage
    public let agentBoot: [UInt8]
    public let productionImage: ScriptImage
    public let qaSessions: any QASessionService
    public let qaPlan: QAPlan
    /// The QA script, compiled once; each board's image adds only its session's config.
    public let qaImage: QAImageTemplate

    public init(package: SocPackage, agentBoot: [UInt8], productionImage: ScriptImage,
                qaSessions: any QASessionService, qaPlan: QAPlan, qaImage: QAImageTemplate) {
        self.package = package
        self.agentBoot = agentBoot
        self.productionImage = productionImage
        self.qaSessions = qaSessions
        self.qaPlan = qaPlan
        self.qaImage = qaImage
    }

    /// A QA session for one board and the full-flash plan carrying its QA script image.
    public func qaFlash(boardID: String, slot: String) async throws -> (ticket: QASessionTicket, plan: FlashPlan) {
        let ticket: QASessionTicket
        do {
            ticket = try await qaSessions.createSession(boardID: boardID, plan: qaPlan)
        } catch {
            // A shared QA server restarting or out of reach: nothing was written yet, so the
            // step's retry may find it back.
            throw StepFailure(failureClass: .noQASession, detail: "no QA session for the board: \(error)",
                              retryable: true)
        }
        let image = try qaImage.image(for: ticket)
        let plan = try package.plan.withScript(image.bytes, name: package.info.script.file,
                                               source: "QA image of slot \(slot)")
        return (ticket, plan)
    }

    /// The script-only plan that writes the production image.
    public func productionFlash() throws -> FlashPlan {
        try package.plan.scriptOnly(productionImage.bytes, name: package.info.script.file,
                                    source: "production script image")
    }
}
