import BoardSim
import EC618
import Firmware
import Foundation
import LuaImage
import QA

/// Faults a simulated board can be given (`--sim-fault N=KIND`), so every failure class of the
/// station can be shown without hardware.
public enum SimulatedBoardFault: String, Sendable, CaseIterable {
    /// The board never attaches to the 4G network.
    case noNetwork = "no-network"
    /// Every HTTP exchange is slowed down.
    case slowNetwork = "slow-network"
    /// The multipart upload's bytes are altered on the way to the server.
    case corruptUpload = "corrupt-upload"
    /// The download's bytes are corrupted on the way to the board.
    case corruptDownload = "corrupt-download"
    /// The board vanishes in the middle of the full flash.
    case unplugMidFlash = "unplug-mid-flash"
    /// The AgentBoot NAKs one data block once; the flasher's retry recovers.
    case nakBlock = "nak-block"
}

/// What every simulated board of one station shares: the firmware, the production image, the
/// QA server and plan, and the simulation's timing.
public struct SimulatedLine: Sendable {
    public let package: SocPackage
    public let agentBoot: [UInt8]
    public let productionImage: ScriptImage
    public let scriptOptions: ScriptImageOptions
    public let qaServer: QAServer
    public let qaPlan: QAPlan
    public let qaScriptFolder: String
    public let caPEM: String?
    public let timing: SimTiming
    /// Simulated 4G attach time.
    public let attachDelay: Duration
    /// How long the production app must run without a Lua error to pass the boot check.
    public let bootCheckWindow: Duration

    public init(package: SocPackage, agentBoot: [UInt8], productionImage: ScriptImage,
                scriptOptions: ScriptImageOptions, qaServer: QAServer, qaPlan: QAPlan, qaScriptFolder: String,
                caPEM: String?, timing: SimTiming, attachDelay: Duration, bootCheckWindow: Duration) {
        self.package = package
        self.agentBoot = agentBoot
        self.productionImage = productionImage
        self.scriptOptions = scriptOptions
        self.qaServer = qaServer
        self.qaPlan = qaPlan
        self.qaScriptFolder = qaScriptFolder
        self.caPEM = caPEM
        self.timing = timing
        self.attachDelay = attachDelay
        self.bootCheckWindow = bootCheckWindow
    }
}
