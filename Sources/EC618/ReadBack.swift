import Firmware

/// Reading back what was written, through the AgentBoot's LPC READ_MEM (spec ec618 §5:
/// `0x21`, request u32 length then u32 address, answer `length` bytes).
public enum ReadBack {
    /// Most bytes one READ_MEM returns (`MAX_READ_MEM_SIZE`, spec §5 "Read granularity") [C].
    public static let maxChunk = 240
    /// Where READ_MEM reads the AP flash: its XIP window, `0x800000 + raw` (spec §5 "address in
    /// the AP-view (XIP) map", §6.4).
    public static let apAddressBase = EC618FlashMap.apXIPBase
    /// Where READ_MEM reads the CP flash. Spec §9 puts CP at its XIP window `0x8800000 + raw`,
    /// but the CP address space of LPC commands is an open question (§10 item 11) [I]: correct
    /// it here from a real board.
    public static let cpAddressBase = EC618FlashMap.cpXIPBase

    /// The READ_MEM address of raw byte `rawOffset` of `storage`, or nil when it does not fit 32 bits.
    public static func address(storage: FlashStorage, rawOffset: UInt32) -> UInt32? {
        let base = storage == .apFlash ? apAddressBase : cpAddressBase
        let (sum, overflow) = base.addingReportingOverflow(rawOffset)
        return overflow ? nil : sum
    }

    /// The READ_MEM request payload: length first, then address (spec §5).
    public static func request(length: Int, address: UInt32) -> [UInt8] {
        LE.bytes(UInt32(length)) + LE.bytes(address)
    }
}

/// Read-back found bytes in the flash other than those written.
public struct ReadBackMismatch: Sendable, Equatable, CustomStringConvertible {
    public let image: ImageKind
    /// Offset inside the image of the first byte that differs.
    public let offset: Int
    public let wrote: UInt8
    public let read: UInt8

    public var description: String {
        "read-back of \(image.rawValue) differs at byte \(offset): wrote \(hex8(wrote)), the flash holds \(hex8(read))"
    }
}
