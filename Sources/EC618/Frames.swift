/// How frames are protected on the wire (spec §3.3).
public enum Framing: Sendable, Equatable, CustomStringConvertible {
    /// The ROM (DLBOOT): plain u32 length, no CRC; only DOWNLOAD_DATA carries an additive sum.
    case plain
    /// The AgentBoot (AGBOOT and LPC): CRC-8 in the length's top byte, CRC-32 trailer both ways.
    case protected

    public var description: String { self == .plain ? "DLBOOT" : "AGBOOT/LPC" }
}

/// A host → device command frame (spec §3.1), unencoded: the length is always derived from the
/// payload, so a retry re-encodes from scratch and never re-protects a protected length (§8.3).
public struct RequestFrame: Sendable, Equatable {
    public let command: UInt8
    public let index: UInt8
    public let family: CommandFamily
    public let payload: [UInt8]

    public init(command: UInt8, index: UInt8 = 0, family: CommandFamily, payload: [UInt8] = []) {
        self.command = command
        self.index = index
        self.family = family
        self.payload = payload
    }

    public init(_ command: DLCommand, index: UInt8 = 0, payload: [UInt8] = []) {
        self.init(command: command.rawValue, index: index, family: .dl, payload: payload)
    }

    public init(_ command: LPCCommand, payload: [UInt8] = []) {
        self.init(command: command.rawValue, index: 0, family: .lpc, payload: payload)
    }

    /// Size of the fixed head: cmd, index, order id, its complement, u32 length.
    public static let headSize = 8

    /// True for the one DLBOOT frame that carries a trailer (the additive sum).
    var isDownloadData: Bool { family == .dl && command == DLCommand.downloadData.rawValue }

    /// The head with the plain length: what the checksums cover.
    func plainHead() -> [UInt8] {
        [command, index, family.orderID, family.notOrderID] + LE.bytes(UInt32(payload.count))
    }

    /// The bytes on the wire.
    public func encode(_ framing: Framing) -> [UInt8] {
        let head = plainHead()
        var out: [UInt8] = []
        out.reserveCapacity(Self.headSize + payload.count + 4)
        switch framing {
        case .plain:
            out += head
            out += payload
            if isDownloadData {
                out += LE.bytes(Checksums.additiveSum(head) &+ Checksums.additiveSum(payload))
            }
        case .protected:
            var crc = Checksums.crc32Update(0xFFFF_FFFF, head)
            crc = Checksums.crc32Update(crc, payload) ^ 0xFFFF_FFFF
            out += head[0..<4]
            out += LE.bytes(Checksums.protectedLength(payload.count))
            out += payload
            out += LE.bytes(crc)
        }
        return out
    }

    /// The outcome of trying to decode one request from the front of a device's input buffer.
    public enum Decoded: Sendable, Equatable {
        /// At least this many bytes in total are needed before a decision.
        case incomplete(needed: Int)
        /// A valid frame, and how many buffer bytes it used.
        case frame(RequestFrame, consumed: Int)
        /// Not a valid frame; `head` holds the first bytes when they were readable enough to
        /// address a NAK (cmd, index, order id). The device resynchronises after this.
        case malformed(FrameDefect, head: [UInt8]?)
    }

    /// Device side: decodes the request at the front of `buffer` (spec §3.1, §3.3).
    /// `maxPayload` bounds the length a device is willing to wait for.
    public static func decode(_ buffer: ArraySlice<UInt8>, framing: Framing, maxPayload: Int) -> Decoded {
        guard buffer.count >= headSize else { return .incomplete(needed: headSize) }
        let s = buffer.startIndex
        let command = buffer[s], index = buffer[s + 1]
        guard let family = CommandFamily(rawValue: buffer[s + 2]), buffer[s + 3] == family.notOrderID else {
            return .malformed(.badOrderID(buffer[s + 2], buffer[s + 3]), head: nil)
        }
        let addressable = [command, index, buffer[s + 2], buffer[s + 3]]
        let wireLength = LE.u32(buffer, at: 4)
        let length: Int
        switch framing {
        case .plain:
            guard family == .dl else { return .malformed(.lpcInROM, head: addressable) }
            length = Int(wireLength)
        case .protected:
            length = Int(wireLength & 0x00FF_FFFF)
            guard Checksums.protectedLength(length) == wireLength else {
                return .malformed(.lengthCRC(wire: wireLength), head: addressable)
            }
        }
        guard length <= maxPayload else { return .malformed(.tooLong(length), head: addressable) }
        let frame = RequestFrame(command: command, index: index, family: family, payload: [])
        let trailer = framing == .protected || frame.isDownloadData ? 4 : 0
        let total = headSize + length + trailer
        guard buffer.count >= total else { return .incomplete(needed: total) }
        let payload = Array(buffer[(s + headSize)..<(s + headSize + length)])
        let decoded = RequestFrame(command: command, index: index, family: family, payload: payload)
        if trailer == 4 {
            let got = LE.u32(buffer, at: headSize + length)
            let head = decoded.plainHead()
            let want: UInt32
            if framing == .protected {
                want = Checksums.crc32Update(Checksums.crc32Update(0xFFFF_FFFF, head), payload) ^ 0xFFFF_FFFF
            } else {
                want = Checksums.additiveSum(head) &+ Checksums.additiveSum(payload)
            }
            guard got == want else { return .malformed(.trailer(expected: want, got: got), head: addressable) }
        }
        return .frame(decoded, consumed: total)
    }
}

/// Why a device refused the bytes it was given as a request.
public enum FrameDefect: Sendable, Equatable, CustomStringConvertible {
    case badOrderID(UInt8, UInt8)
    case lpcInROM
    case lengthCRC(wire: UInt32)
    case tooLong(Int)
    case trailer(expected: UInt32, got: UInt32)

    public var description: String {
        switch self {
        case .badOrderID(let a, let b): return "bad order id bytes \(hex8(a)) \(hex8(b))"
        case .lpcInROM: return "LPC frame sent to the ROM"
        case .lengthCRC(let w): return "length field \(hex32(w)) fails its CRC-8"
        case .tooLong(let n): return "payload length \(n) too long"
        case .trailer(let e, let g): return "trailer \(hex32(g)), expected \(hex32(e))"
        }
    }
}

/// A device → host response (spec §3.2).
public struct ResponseFrame: Sendable, Equatable {
    public let command: UInt8
    public let index: UInt8
    public let family: CommandFamily
    public let state: UInt8
    public let payload: [UInt8]

    public init(command: UInt8, index: UInt8, family: CommandFamily, state: UInt8, payload: [UInt8] = []) {
        precondition(payload.count <= 255, "a response payload length is one byte")
        self.command = command
        self.index = index
        self.family = family
        self.state = state
        self.payload = payload
    }

    /// The answer a device gives to `request`: same cmd/order, index +1 for DOWNLOAD_DATA.
    public init(answering request: RequestFrame, state: UInt8 = ResponseState.ack, payload: [UInt8] = []) {
        let index = request.isDownloadData ? request.index &+ 1 : request.index
        self.init(command: request.command, index: index, family: request.family, state: state, payload: payload)
    }

    /// Size of the fixed head: cmd, index, order id, complement, state, u8 length.
    public static let headSize = 6

    public func encode(_ framing: Framing) -> [UInt8] {
        var out = [command, index, family.orderID, family.notOrderID, state, UInt8(payload.count)] + payload
        if framing == .protected { out += LE.bytes(Checksums.crc32(out)) }
        return out
    }

    /// Host side: how many bytes follow a 6-byte head (payload, plus the CRC when protected).
    public static func bytesAfterHead(_ head: [UInt8], framing: Framing) -> Int {
        Int(head[5]) + (framing == .protected ? 4 : 0)
    }

    /// Host side: decodes and checks a complete response (head + rest) against `request`
    /// (spec §3.4). Throws the first thing that is wrong.
    public static func decode(_ bytes: [UInt8], answering request: RequestFrame, framing: Framing,
                              maxPayload: Int) throws(ResponseError) -> ResponseFrame {
        guard bytes.count >= headSize else { throw .truncated(got: bytes.count, needed: headSize) }
        let length = Int(bytes[5])
        let needed = headSize + length + (framing == .protected ? 4 : 0)
        guard bytes.count >= needed else { throw .truncated(got: bytes.count, needed: needed) }
        if framing == .protected {
            let want = Checksums.crc32(bytes[0..<(headSize + length)])
            let got = LE.u32(bytes, at: headSize + length)
            guard want == got else { throw .crcMismatch(expected: want, got: got) }
        }
        guard bytes[0] == request.command else { throw .wrongCommand(expected: request.command, got: bytes[0]) }
        guard bytes[2] == request.family.orderID, bytes[3] == request.family.notOrderID else {
            throw .wrongOrderID(expected: request.family.orderID, got: bytes[2])
        }
        let wantIndex = request.isDownloadData ? request.index &+ 1 : request.index
        guard bytes[1] == wantIndex else { throw .wrongIndex(expected: wantIndex, got: bytes[1]) }
        let payload = Array(bytes[headSize..<(headSize + length)])
        guard bytes[4] == ResponseState.ack else { throw .notAcknowledged(state: bytes[4], payload: payload) }
        guard length <= maxPayload else { throw .payloadTooLong(length, limit: maxPayload) }
        return ResponseFrame(command: bytes[0], index: bytes[1], family: request.family, state: bytes[4],
                             payload: payload)
    }
}

func hex8(_ v: UInt8) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return s.count < 2 ? "0" + s : s
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

func hexBytes(_ bytes: [UInt8]) -> String { bytes.map(hex8).joined(separator: " ") }
