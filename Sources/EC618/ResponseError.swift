/// Every way a device's answer can be wrong (spec §3.4, §8.2). The flasher wraps these in a
/// `FlashError` that adds where it happened.
public enum ResponseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No (complete) answer before the read deadline.
    case timeout
    /// Fewer bytes than the head announced.
    case truncated(got: Int, needed: Int)
    /// CRC-32 trailer of an AGBOOT/LPC response does not match.
    case crcMismatch(expected: UInt32, got: UInt32)
    case wrongCommand(expected: UInt8, got: UInt8)
    case wrongOrderID(expected: UInt8, got: UInt8)
    case wrongIndex(expected: UInt8, got: UInt8)
    /// `state ≠ 0`: 1 is NAK, other values are undocumented errors.
    case notAcknowledged(state: UInt8, payload: [UInt8])
    case payloadTooLong(Int, limit: Int)
    /// The payload has the wrong size or content for this command.
    case unexpectedPayload(command: String, payload: [UInt8])
    /// SEL_IMAGE said the device expects something else.
    case imageMismatch(expected: ImageIdentifier, got: UInt32)
    /// DATA_HEAD offered a packet size of 0, larger than what remains, or larger than 64 KiB.
    case badPacketSize(offered: UInt32, remaining: Int)
    /// GET_BURN_STATUS was not `00 00 00 00`.
    case burnFailed(status: [UInt8])
    /// No echo of the sync word in any round.
    case syncFailed(SyncWord, rounds: Int)

    /// Whether sending the same request again may cure it (§8.3).
    public var isRetryable: Bool {
        switch self {
        case .timeout, .truncated, .crcMismatch, .wrongCommand, .wrongOrderID, .wrongIndex, .notAcknowledged:
            return true
        case .payloadTooLong, .unexpectedPayload, .imageMismatch, .badPacketSize, .burnFailed, .syncFailed:
            return false
        }
    }

    public var description: String {
        switch self {
        case .timeout: return "no response before the deadline"
        case .truncated(let got, let needed): return "response truncated (\(got) of \(needed) bytes)"
        case .crcMismatch(let e, let g): return "response CRC-32 \(hex32(g)), expected \(hex32(e))"
        case .wrongCommand(let e, let g): return "response for command \(hex8(g)), expected \(hex8(e))"
        case .wrongOrderID(let e, let g): return "response order id \(hex8(g)), expected \(hex8(e))"
        case .wrongIndex(let e, let g): return "response index \(g), expected \(e)"
        case .notAcknowledged(let state, let payload):
            let what = state == ResponseState.nak ? "NAK" : "error state \(state)"
            return payload.isEmpty ? what : "\(what) (payload \(hexBytes(payload)))"
        case .payloadTooLong(let n, let limit): return "response payload \(n) bytes, limit \(limit)"
        case .unexpectedPayload(let command, let p): return "unexpected \(command) answer: \(hexBytes(p))"
        case .imageMismatch(let e, let g):
            let name = ImageIdentifier(rawValue: g)?.description ?? hex32(g)
            return "device expects \(name), host is about to send \(e)"
        case .badPacketSize(let offered, let remaining):
            return "device offered packet size \(offered) with \(remaining) bytes remaining"
        case .burnFailed(let status): return "burn status \(hexBytes(status)) (not 00 00 00 00)"
        case .syncFailed(let word, let rounds): return "\(word) sync failed after \(rounds) rounds"
        }
    }
}
