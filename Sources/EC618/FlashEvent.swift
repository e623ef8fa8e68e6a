import Firmware

/// The steps of a flash, in order.
public enum FlashPhase: String, Sendable, Equatable, CustomStringConvertible {
    /// DLBOOT handshake with the ROM.
    case romSync = "rom-sync"
    /// AgentBoot header and body to the ROM.
    case agentBoot = "agentboot"
    /// One image: BURN_ONE, header, data blocks.
    case burn
    /// GET_BURN_STATUS after an image.
    case burnStatus = "burn-status"
    /// READ_MEM of what an image wrote, compared with the image (`FlasherSettings.verify`).
    case verify
    /// LPC SYS_RST.
    case reset

    public var description: String { rawValue }
}

/// Progress of a flash, for the station and the CLI to render. Delivered in order on the
/// flasher's task through the `onEvent` callback.
public enum FlashEvent: Sendable, Equatable {
    case phaseStarted(FlashPhase)
    case imageStarted(ImageKind, name: String, size: Int)
    /// Image bytes acknowledged so far, for this image and for the whole plan.
    case progress(ImageKind, imageDone: Int, imageTotal: Int, planDone: Int, planTotal: Int)
    /// AgentBoot bytes acknowledged by the ROM.
    case agentBootProgress(done: Int, total: Int)
    case imageDone(ImageKind)
    /// The image's bytes were read back from the flash and matched (`FlasherSettings.verify`).
    case verified(ImageKind, bytes: Int)
    /// SYS_RST answered; `answerOK` is false when the answer was not `ZzZzZzZz` (a warning only).
    case reset(answerOK: Bool)
    /// A retryable failure is being retried.
    case retrying(FlashPhase, image: ImageKind?, offset: Int?, reason: String)
    /// The device refused a command (a NAK, or another non-zero state): delivered whether or not
    /// it is retried, so a recovered NAK is still counted where the flash is recorded.
    case refused(FlashPhase, image: ImageKind?, offset: Int?, command: String)
}
