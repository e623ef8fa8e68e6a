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
    /// The 4G link drops twice in the middle of the QA download; the firmware re-requests the
    /// rest with `Range` and the board still passes.
    case dropMidDownload = "drop-mid-download"
    /// The running board resets on the software boot entry but ignores the diag frame: it comes
    /// back running, and the station's boot entry fails with that diagnosis.
    case ignoresBootEntry = "ignores-boot-entry"
    /// One byte of the full flash loses a bit after the AgentBoot acknowledged it: only a
    /// read-back (`--verify`) finds it.
    case flipsFlashBit = "flips-flash-bit"

    /// The known names, for help and error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension Set where Element == SimulatedBoardFault {
    /// The download-session faults for a full flash of `planBytes` bytes.
    public func flashFaults(planBytes: Int) -> FaultPlan {
        var plan = FaultPlan()
        if contains(.nakBlock) { plan.nakBlock = (index: 3, times: 1) }
        if contains(.unplugMidFlash) { plan.disconnectAfter = planBytes / 2 }
        if contains(.flipsFlashBit) { plan.flipBit = planBytes / 3 }
        return plan
    }

    /// What the running board makes of the software boot entry.
    public var bootEntryResponse: BootEntryResponse {
        contains(.ignoresBootEntry) ? .ignoresDownloadFrame : .honours
    }

    /// The simulated 4G link's faults.
    public var networkFaults: NetworkFaults {
        var faults = NetworkFaults()
        if contains(.noNetwork) { faults.noAttach = true }
        if contains(.slowNetwork) { faults.extraLatency = .milliseconds(400) }
        if contains(.corruptUpload) { faults.alterRequestBodyMatching = "/upload" }
        if contains(.corruptDownload) { faults.corruptResponseBodyMatching = "/download" }
        if contains(.dropMidDownload) { faults.cutResponses = .init(marker: "/download", afterBytes: 2_000, times: 2) }
        return faults
    }
}
