import Crypto

/// The 272-byte image header sent before the AgentBoot body and before every flash image
/// (spec §4). `encode()` fills both SHA-256s the way §4.4 describes.
public struct ImageHeader: Sendable, Equatable {
    public static let size = 272
    public static let versionValue: UInt32 = 0x1000_0001
    public static let formatDate: UInt32 = 0x2018_0507
    /// "No hash" (the value every tool writes).
    public static let hashTypeNone: UInt8 = 0xEE

    public var bodyID: ImageIdentifier
    /// Header burn address (spec §6.5: 0 for AgentBoot/BL/CP, raw for AP, XIP for the script).
    public var burnAddress: UInt32
    public var loadLocation: UInt32
    /// Exact byte length of the image being announced.
    public var imageSize: UInt32
    /// Baud-rate control (spec §4.3); 0 = do not change.
    public var baudControl: UInt16
    /// Control word "rsvd0": 1 (pull-up QSPI) for the AgentBoot, 0 for flash images.
    public var controlWord: UInt32
    public var hashType: UInt8
    /// SHA-256 of the whole image.
    public var bodyHash: [UInt8]

    public init(bodyID: ImageIdentifier, burnAddress: UInt32, image: [UInt8], baudControl: UInt16 = 0,
                controlWord: UInt32 = 0, loadLocation: UInt32 = ProtocolConstants.loadLocation) {
        self.bodyID = bodyID
        self.burnAddress = burnAddress
        self.loadLocation = loadLocation
        self.imageSize = UInt32(image.count)
        self.baudControl = baudControl
        self.controlWord = controlWord
        self.hashType = Self.hashTypeNone
        self.bodyHash = Array(SHA256.hash(data: image))
    }

    /// The header the ROM expects in front of an AgentBoot (burn 0, baud control, pull-up QSPI).
    public static func agentBoot(_ body: [UInt8], baud: Int = ProtocolConstants.agentBootBaud) -> ImageHeader {
        ImageHeader(bodyID: .agbt, burnAddress: 0, image: body, baudControl: baudControlField(baud: baud),
                    controlWord: 1)
    }

    /// `0x8000 | (baud / 100)`, or 0 for "do not change" (spec §4.3).
    public static func baudControlField(baud: Int) -> UInt16 {
        baud == 0 ? 0 : 0x8000 | UInt16((baud / 100) & 0x7FFF)
    }

    /// The 272 bytes, body hash in place and header hash computed over the rest (spec §4.4).
    public func encode() -> [UInt8] {
        var out = fields(headerHash: [UInt8](repeating: 0, count: 32))
        let headerHash = Array(SHA256.hash(data: out))
        out.replaceSubrange(32..<64, with: headerHash)
        return out
    }

    private func fields(headerHash: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.size)
        out += LE.bytes(Self.versionValue)
        out += ImageIdentifier.imgh.bytes
        out += LE.bytes(Self.formatDate)
        out += LE.bytes(UInt32(0))
        out += LE.bytes(UInt32(1))                  // image count
        out += [hashType, 0]                        // hash type, load type
        out += LE.bytes(baudControl)
        out += LE.bytes(controlWord)
        out += LE.bytes(UInt32(0))
        out += headerHash
        out += bodyID.bytes
        out += LE.bytes(burnAddress)
        out += LE.bytes(loadLocation)
        out += LE.bytes(imageSize)
        out += [UInt8](repeating: 0, count: 16)     // control word at 80 + reserved
        out += bodyHash
        out += [UInt8](repeating: 0, count: Self.size - out.count)
        return out
    }

    /// Device side: parses a received header, refusing wrong size, version, identifier, image
    /// count or unknown body id, and — when `checkingHeaderHash` — a header hash (bytes 32..<64)
    /// that is not the §4.4 SHA-256 of the header's own bytes. Whether the real ROM/AgentBoot
    /// checks that hash is unknown (spec §10 item 10: beanio hashes only the first 32 header
    /// bytes and is said to work), so a device model may skip it; the other fields are always
    /// checked because every tool writes them the same way (§4.1).
    public static func decode(_ bytes: [UInt8], checkingHeaderHash: Bool = true) throws(HeaderError) -> ImageHeader {
        guard bytes.count == size else { throw .wrongSize(bytes.count) }
        guard LE.u32(bytes, at: 0) == versionValue else { throw .field("version", LE.u32(bytes, at: 0)) }
        guard LE.u32(bytes, at: 4) == ImageIdentifier.imgh.rawValue else { throw .field("identifier", LE.u32(bytes, at: 4)) }
        guard LE.u32(bytes, at: 16) == 1 else { throw .field("image count", LE.u32(bytes, at: 16)) }
        guard let body = ImageIdentifier(rawValue: LE.u32(bytes, at: 64)), body != .imgh else {
            throw .field("body id", LE.u32(bytes, at: 64))
        }
        if checkingHeaderHash {
            var zeroed = bytes
            zeroed.replaceSubrange(32..<64, with: [UInt8](repeating: 0, count: 32))
            guard Array(SHA256.hash(data: zeroed)) == Array(bytes[32..<64]) else { throw .headerHashMismatch }
        }
        var header = ImageHeader(bodyID: body, burnAddress: LE.u32(bytes, at: 68), image: [],
                                 baudControl: LE.u16(bytes, at: 22), controlWord: LE.u32(bytes, at: 24),
                                 loadLocation: LE.u32(bytes, at: 72))
        header.imageSize = LE.u32(bytes, at: 76)
        header.hashType = bytes[20]
        header.bodyHash = Array(bytes[96..<128])
        return header
    }

    /// Whether `body` is the image this header announces: its size and, when `checkingHash`,
    /// its SHA-256 (bytes 96..<128; whether a real device compares it is unknown, spec §10
    /// item 10).
    public func matches(body: [UInt8], checkingHash: Bool = true) -> Bool {
        body.count == Int(imageSize) && (!checkingHash || Array(SHA256.hash(data: body)) == bodyHash)
    }
}

/// Why a device refused an image header.
public enum HeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    case wrongSize(Int)
    case field(String, UInt32)
    case headerHashMismatch

    public var description: String {
        switch self {
        case .wrongSize(let n): return "image header is \(n) bytes, not 272"
        case .field(let name, let value): return "image header \(name) \(hex32(value)) is invalid"
        case .headerHashMismatch: return "image header hash does not match the header"
        }
    }
}
