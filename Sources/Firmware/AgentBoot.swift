import Foundation

/// The vendor AgentBoot: the RAM program the ROM loads to do the actual flashing. It is a closed
/// blob the project never ships; it comes from the user's `.soc` or from `--agentboot FILE`.
public struct AgentBoot: Sendable, Equatable {
    /// Where it was found: a file path, or `X.soc:agentboot_usb.bin`.
    public let source: String
    public let bytes: [UInt8]
    public let sha256: String
    /// The recognised vendor build, or nil for an unknown one (a warning, not an error).
    public let knownBuild: KnownAgentBoot?

    public init(source: String, bytes: [UInt8]) {
        self.source = source
        self.bytes = bytes
        let digest = SHA256Hex.of(bytes)
        self.sha256 = digest
        self.knownBuild = KnownAgentBoot.all.first { $0.sha256 == digest }
    }

    /// The member name inside an EC618 `.soc`.
    public static let socMemberName = "agentboot_usb.bin"

    /// Where users legitimately have an AgentBoot, for the error when none is found.
    public static let whereToFindOne =
        "use --agentboot FILE with agentboot_usb.bin from the EC618 LuatOS .soc built by the SDK, "
        + "the vendor FlashToolCLI ec_download folder that Luatools uses, or the EC618 SDK checkout "
        + "(project/luatos/pack/agentboot_usb.bin)"
}

/// AgentBoot builds seen in public places, recognised by SHA-256 (spec: ec618-download-protocol.md §7).
public struct KnownAgentBoot: Sendable, Equatable {
    public enum Transport: String, Sendable { case usb = "USB", uart = "UART" }
    public let label: String
    public let transport: Transport
    public let size: Int
    public let sha256: String

    public static let all: [KnownAgentBoot] = [
        KnownAgentBoot(label: "Eigencomm FlashToolCLI ec_download (USB)", transport: .usb, size: 44_712,
                       sha256: "8dd2697600d61510f0c788de83daef7b3ce2c1b49c1dad7348e7719c0104455e"),
        KnownAgentBoot(label: "Eigencomm FlashToolCLI ec_download (UART)", transport: .uart, size: 43_932,
                       sha256: "ddf2b7a8c53d8432d4e3f89cfa47acca2f712552c0b43559045397100507e3b6"),
        KnownAgentBoot(label: "ectool2py / PyPI ectool ec618_agentboot_usb", transport: .usb, size: 35_568,
                       sha256: "0bd2f394b9acb1f4ae7eee70b8774e457bbf7bd2a0ea70fc6ea32f92fc1e98e7"),
        KnownAgentBoot(label: "PyPI ectool ec618_uart", transport: .uart, size: 35_184,
                       sha256: "99ff290c9c853fae4e3ec4e174a7f862a3c7b65ac2cb1a670db947267b9ee6c4"),
        KnownAgentBoot(label: "luatos-soc-2022 SDK pack agentboot_usb.bin (in SDK-built .soc)", transport: .usb,
                       size: 35_676,
                       sha256: "f6e29bd2008175aa17367817f6ce53d29cf59eb6a7596b436d12acb82c03a362"),
    ]
}

/// The outcome of looking for an AgentBoot: found, or why not.
public enum AgentBootLookup: Sendable, Equatable {
    case found(AgentBoot)
    case missing(reason: String)

    public var agentBoot: AgentBoot? {
        if case .found(let a) = self { return a }
        return nil
    }

    /// Looks in order: `explicitPath` (`--agentboot FILE`), then the `.soc` member.
    public static func find(explicitPath: String?, socMember: [UInt8]?, socPath: String) throws -> AgentBootLookup {
        if let path = explicitPath {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FirmwareError(file: path, reason: "cannot read the AgentBoot file")
            }
            guard !data.isEmpty else { throw FirmwareError(file: path, reason: "AgentBoot file is empty") }
            return .found(AgentBoot(source: path, bytes: [UInt8](data)))
        }
        if let bytes = socMember, !bytes.isEmpty {
            return .found(AgentBoot(source: "\(socPath):\(AgentBoot.socMemberName)", bytes: bytes))
        }
        return .missing(reason: "no AgentBoot: \(socPath) has no \(AgentBoot.socMemberName); "
                        + AgentBoot.whereToFindOne)
    }
}
