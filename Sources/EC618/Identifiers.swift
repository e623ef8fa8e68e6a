/// The three sync words (spec §2.1). The device echoes a word to say it is listening in that layer.
public enum SyncWord: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Answered by the mask ROM.
    case dlboot = 0x2B02_D300
    /// Answered by the AgentBoot before header/data transfers.
    case agboot = 0x2B02_D3AA
    /// Answered by the AgentBoot before LPC commands.
    case lpc = 0x2B02_D3CD

    /// The four bytes on the wire (little-endian).
    public var bytes: [UInt8] { LE.bytes(rawValue) }

    /// The word these four bytes spell, if any.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8, C.Index == Int {
        guard bytes.count >= 4 else { return nil }
        self.init(rawValue: LE.u32(bytes, at: 0))
    }

    public var description: String {
        switch self {
        case .dlboot: return "DLBOOT"
        case .agboot: return "AGBOOT"
        case .lpc: return "LPC"
        }
    }
}

/// Image identifiers (spec §4.2), sent as u32 in SEL_IMAGE answers, headers and BURN_ONE.
public enum ImageIdentifier: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// "A header comes next".
    case imgh = 0x5449_4D48
    /// The AgentBoot and the bootloader.
    case agbt = 0x4F42_4D49
    /// AP (application) image.
    case aimg = 0x444B_4249
    /// CP (modem) image.
    case cimg = 0x4350_4249
    /// Any other region, e.g. the LuatOS script image.
    case flex = 0x464C_5849

    public var bytes: [UInt8] { LE.bytes(rawValue) }

    public var description: String {
        switch self {
        case .imgh: return "IMGH"
        case .agbt: return "AGBT"
        case .aimg: return "AIMG"
        case .cimg: return "CIMG"
        case .flex: return "FLEX"
        }
    }
}

/// The command family of a frame: its order id and the bitwise-NOT byte after it (spec §3.1).
public enum CommandFamily: UInt8, Sendable, CustomStringConvertible {
    /// DL commands (GET_VERSION … DONE), answered by the ROM and by the AgentBoot.
    case dl = 0xCD
    /// LPC commands (BURN_ONE, GET_BURN_STATUS, SYS_RST, …), AgentBoot only.
    case lpc = 0x4C

    public var orderID: UInt8 { rawValue }
    public var notOrderID: UInt8 { ~rawValue }

    public var description: String { self == .dl ? "DL" : "LPC" }
}

/// DL command codes (spec §3.5).
public enum DLCommand: UInt8, Sendable, CaseIterable {
    case getVersion = 0x20
    case selImage = 0x21
    case verifyImage = 0x22
    case dataHead = 0x31
    case downloadData = 0x32
    case done = 0x3A
}

/// LPC command codes (spec §5).
public enum LPCCommand: UInt8, Sendable, CaseIterable {
    case flashErase = 0x10
    case readMem = 0x21
    case burnOne = 0x42
    case getBurnStatus = 0x44
    case sysReset = 0xAA
}

/// Response `state` values (spec §3.2).
public enum ResponseState {
    public static let ack: UInt8 = 0
    public static let nak: UInt8 = 1
}

/// Fixed protocol constants (spec §3–§5). Values marked [I] in the spec are inferences.
public enum ProtocolConstants {
    /// The u16 after the image id in a BURN_ONE payload that selects the separate CP flash.
    public static let cpFlashIndicator: UInt16 = 0xE101
    /// Image data goes in outer blocks of at most this many bytes, one transfer each (§3.7).
    public static let maxOuterBlock = 0x10000
    /// Largest `tbSize` a host accepts from DATA_HEAD (§3.7).
    public static let maxPacketSize = 0x10000
    /// Largest DL response payload (vendor struct size, §3.2).
    public static let maxDLResponsePayload = 12
    /// Largest LPC request payload (vendor constant, §5).
    public static let maxLPCRequestPayload = 0x1000
    /// The AgentBoot's answer to SYS_RST.
    public static let resetAnswer: [UInt8] = Array("ZzZzZzZz".utf8)
    /// GET_BURN_STATUS payload meaning "image written OK".
    public static let burnStatusOK: [UInt8] = [0, 0, 0, 0]
    /// Where the ROM loads the AgentBoot (header load location, §4.1).
    public static let loadLocation: UInt32 = 0x0401_0000
    /// Baud the AgentBoot header announces for USB (the capture and ectool2py use 921600, §4.3).
    public static let agentBootBaud = 921_600
}
