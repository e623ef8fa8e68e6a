import Firmware
import Links

/// A flash that did not complete: where (phase, image, byte offset inside the image) and why.
/// The link has been closed when this is thrown.
public struct FlashError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Cause: Sendable, Equatable, CustomStringConvertible {
        case response(ResponseError)
        case link(LinkError)
        case plan(PlanError)
        /// Read-back (`FlasherSettings.verify`) found other bytes than those written.
        case readBack(ReadBackMismatch)

        public var description: String {
            switch self {
            case .response(let e): return e.description
            case .link(let e): return e.description
            case .plan(let e): return e.description
            case .readBack(let e): return e.description
            }
        }
    }

    public let phase: FlashPhase
    /// The image being burnt, nil in the ROM phases.
    public let image: ImageKind?
    /// Byte offset inside the image (or the AgentBoot) of the transfer that failed.
    public let offset: Int?
    public let cause: Cause
    /// The link the board was on.
    public let link: String
    /// Whether a fresh attempt (new session) may succeed: timeouts, NAKs and CRC errors are;
    /// a refused plan or a failed burn status is not.
    public let isRetryable: Bool

    public var description: String {
        var place = "\(phase)"
        if let image { place += " \(image.rawValue)" }
        if let offset { place += " at byte \(offset)" }
        return "\(link): flash failed in \(place): \(cause)"
    }
}
