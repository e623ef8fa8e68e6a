import BoardSim
import Vocabulary

/// What a board with a given fault must end in on the station: the one table the soak
/// (`scripts/soak`), `provision sim faults` and the tests read.
public struct FaultOutcome: Sendable, Equatable, CustomStringConvertible {
    /// nil: the board passes.
    public let failureClass: FailureClass?
    /// The fault is one a retry recovers: the record must show NAKs or retries.
    public let repeats: Bool

    public static let passes = FaultOutcome(failureClass: nil, repeats: false)
    /// Recovered by the flasher's resend: a pass with the NAKs/retries on the record.
    public static let passesAfterRetry = FaultOutcome(failureClass: nil, repeats: true)
    public static func fails(_ failureClass: FailureClass) -> FaultOutcome {
        FaultOutcome(failureClass: failureClass, repeats: false)
    }

    public var description: String {
        failureClass.map { "fail \($0.rawValue)" } ?? (repeats ? "pass after a retry" : "pass")
    }
}

extension DrawnFault {
    /// The station's verdict on a board with this fault. `readBack`: the station reads every
    /// image back (`--verify`), which is the only way a bit lost after its ACK is seen.
    public func expected(readBack: Bool) -> FaultOutcome {
        switch self {
        case .session(let kind, _): return Self.expected(kind, readBack: readBack)
        case .board(let kind): return Self.expected(kind, readBack: readBack)
        case .network(let kind, _, _): return Self.expected(kind)
        }
    }

    static func expected(_ kind: FaultPlan.Kind, readBack: Bool) -> FaultOutcome {
        switch kind {
        // Fewer NAKs than the flasher's resends; a lost or altered byte fails the frame's CRC or
        // times out, and the resend after a flush goes through.
        case .nakBlock, .dropByte, .corruptByte: return .passesAfterRetry
        // The board hangs with its port open: every attempt (the flash budget's retry too) times out.
        case .stallAfter: return .fails(.flashRetryable)
        case .disconnectAfter: return .fails(.unplugged)
        case .burnStatus: return .fails(.flashFailed)
        case .flipBit: return readBack ? .fails(.flashFailed) : .passes
        }
    }

    static func expected(_ kind: SimulatedBoardFault, readBack: Bool) -> FaultOutcome {
        switch kind {
        case .noNetwork: return .fails(.noNetworkAttach)
        case .slowNetwork, .dropMidDownload: return .passes
        case .corruptUpload, .corruptDownload: return .fails(.contentMismatch)
        case .unplugMidFlash: return .fails(.unplugged)
        case .nakBlock: return .passesAfterRetry
        case .ignoresBootEntry: return .fails(.bootEntryFailed)
        case .flipsFlashBit: return readBack ? .fails(.flashFailed) : .passes
        }
    }

    static func expected(_ kind: NetworkFaults.Kind) -> FaultOutcome {
        switch kind {
        case .noAttach: return .fails(.noNetworkAttach)
        // A connection the link drops after it was made is the firmware client's -5
        // (FirmwareHTTPClient: "trouble after this is a drop").
        case .drop: return .fails(.httpLibraryError(code: -5))
        case .alterUpload, .corruptDownload: return .fails(.contentMismatch)
        case .latency: return .passes
        }
    }
}
