import EC618
import Vocabulary

extension StationEvent.Kind {
    /// The station event a flasher event becomes during `step`, if it is one the station shows:
    /// an image started, a retry and why, a NAK, the reset answered, an image verified. Progress
    /// has its own path (`progress`), and phase changes stay inside the flasher.
    public init?(_ event: FlashEvent, step: StationStep) {
        switch event {
        case .imageStarted(let kind, let name, let size):
            self = .imageStarted(step, image: kind.rawValue, name: name, bytes: size)
        case .retrying(let phase, let image, let offset, let reason):
            self = .flashRetry(step, phase: phase.rawValue, image: image?.rawValue, offset: offset, reason: reason)
        case .refused(let phase, let image, let offset, let command):
            self = .flashNAK(step, phase: phase.rawValue, image: image?.rawValue, offset: offset, command: command)
        case .reset(let answerOK):
            self = .resetAnswered(step, answerOK: answerOK)
        case .verified(let kind, let bytes):
            self = .imageVerified(step, image: kind.rawValue, bytes: bytes)
        case .phaseStarted, .progress, .agentBootProgress, .imageDone:
            return nil
        }
    }
}
