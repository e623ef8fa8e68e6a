import Firmware

/// How one plan image is announced to the AgentBoot: BURN_ONE id and flash selector, and the
/// header's body id and burn address (spec §6.5). Shared by the flasher and the simulated board,
/// so both read the same table.
public struct BurnTarget: Sendable, Equatable {
    public let imageID: ImageIdentifier
    public let storage: FlashStorage
    public let headerBurnAddress: UInt32

    /// The BURN_ONE payload: the id, plus the CP-flash indicator for the CP flash.
    public var burnOnePayload: [UInt8] {
        imageID.bytes + (storage == .cpFlash ? LE.bytes(ProtocolConstants.cpFlashIndicator) : [])
    }
}

public enum BurnAddressing {
    /// Where the AgentBoot writes a bootloader whose header says burn address 0. The capture and
    /// every tool send 0 for BL, yet BL lives at raw 0x4000 (spec §6.4/§6.5) — so the AgentBoot
    /// must place it there itself. [I] inference, kept as a named constant.
    public static let bootloaderRawOffset: UInt32 = EC618FlashMap.bootloaderOffset

    /// The announcement for `image`, or a reason the download protocol cannot place it where the
    /// plan wants it.
    public static func target(for image: FlashImage) -> Result<BurnTarget, PlanError> {
        switch image.kind {
        case .bootloader:
            guard image.storage == .apFlash, image.flashOffset == bootloaderRawOffset else {
                return .failure(PlanError(image: image, reason: "the bootloader can only be burnt at AP raw "
                                          + hex32(bootloaderRawOffset)))
            }
            return .success(BurnTarget(imageID: .agbt, storage: .apFlash, headerBurnAddress: 0))
        case .ap:
            guard image.storage == .apFlash else {
                return .failure(PlanError(image: image, reason: "the AP image must go to the AP flash"))
            }
            return .success(BurnTarget(imageID: .aimg, storage: .apFlash, headerBurnAddress: image.flashOffset))
        case .cp:
            guard image.storage == .cpFlash else {
                return .failure(PlanError(image: image, reason: "the CP image must go to the CP flash"))
            }
            return .success(BurnTarget(imageID: .cimg, storage: .cpFlash, headerBurnAddress: image.flashOffset))
        case .script, .boardData:
            guard image.storage == .apFlash else {
                return .failure(PlanError(image: image, reason: "a flex image (script, board data) must go to the AP flash"))
            }
            // FLEX burn address is the XIP form, 0x800000 + script_addr (spec §6.5, §10 item 5);
            // board data goes the same way to its region's start [I: no open tool writes the fskv
            // or file-system region; the vendor tool's format_ec618.json lists them as flex areas].
            return .success(BurnTarget(imageID: .flex, storage: .apFlash,
                                       headerBurnAddress: EC618FlashMap.apXIPBase + image.flashOffset))
        }
    }

    /// Device side: the flash and raw offset an AgentBoot writes an announced image to.
    public static func placement(bodyID: ImageIdentifier, burnAddress: UInt32, storage: FlashStorage)
        -> (storage: FlashStorage, rawOffset: UInt32)
    {
        switch storage {
        case .cpFlash:
            let raw = burnAddress >= EC618FlashMap.cpXIPBase ? burnAddress - EC618FlashMap.cpXIPBase : burnAddress
            return (.cpFlash, raw)
        case .apFlash:
            if bodyID == .agbt && burnAddress == 0 { return (.apFlash, bootloaderRawOffset) }
            let raw = burnAddress >= EC618FlashMap.apXIPBase ? burnAddress - EC618FlashMap.apXIPBase : burnAddress
            return (.apFlash, raw)
        }
    }
}

/// A plan image the download protocol cannot burn as asked.
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public let kind: ImageKind
    public let name: String
    public let reason: String

    init(image: FlashImage, reason: String) {
        self.kind = image.kind
        self.name = image.name
        self.reason = reason
    }

    public var description: String { "\(name) (\(kind.rawValue)): \(reason)" }
}
