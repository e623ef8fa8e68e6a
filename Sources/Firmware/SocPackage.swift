import Foundation

/// A firmware package (`.soc`) opened and checked: its metadata, verified images, the flash plan
/// and the AgentBoot lookup. Everything is read in memory; nothing is written.
public struct SocPackage: Sendable {
    /// The path it was opened from.
    public let path: String
    public let format: ArchiveFormat
    public let info: InfoJSON
    public let binpkg: Binpkg
    /// Core images (BL, AP, CP), plus the package's own script image when it carries one.
    public let plan: FlashPlan
    public let agentBoot: AgentBootLookup
    /// Every member of the archive with its size.
    public let members: [(name: String, size: Int)]
    /// What the BSP version and variant in the file name say (`V1112`, `FULL`), when it follows the
    /// vendor naming `LuatOS-SoC_<VER>_EC618[_VARIANT].soc`.
    public let fileNameVersion: String?
    public let fileNameVariant: String?
    /// Things worth telling the user that do not stop a flash.
    public let warnings: [String]

    /// Opens `path`. `agentBootPath` (`--agentboot FILE`) takes precedence over the `.soc`'s own.
    public static func open(path: String, agentBootPath: String? = nil) throws -> SocPackage {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw FirmwareError(file: path, reason: !exists ? "no such file"
                                : isDir.boolValue ? "is a directory, not a .soc file" : "cannot read the file")
        }
        return try SocPackage(bytes: [UInt8](data), path: path, agentBootPath: agentBootPath)
    }

    /// Opens a package already in memory; `path` names it in messages.
    public init(bytes: [UInt8], path: String, agentBootPath: String? = nil) throws {
        self.path = path
        let contents = try ArchiveReader.read(bytes, file: path, want: Self.isNeededMember)
        format = contents.format
        members = contents.listing
        func member(_ name: String) -> ArchiveMember? { contents.members.first { $0.name == name } }

        guard let infoMember = member("info.json") else {
            throw FirmwareError(file: path, reason: "no info.json in the archive (not a LuatOS firmware package)")
        }
        info = try InfoJSON(bytes: infoMember.bytes, file: "\(path):info.json")

        let binpkgMember = member(info.romFile) ?? contents.members.first { $0.name.hasSuffix(".binpkg") }
        guard let binpkgMember else {
            throw FirmwareError(file: path, reason: "no core package \(info.romFile) in the archive")
        }
        let binpkgName = "\(path):\(binpkgMember.name)"
        binpkg = try Binpkg(bytes: binpkgMember.bytes, file: binpkgName)
        var plan = FlashPlan(
            images: try binpkg.coreImages(file: binpkgName, scriptPartition: info.scriptPartition),
            scriptPartition: info.scriptPartition)

        var warnings: [String] = []
        let scriptMember = member(info.script.file) ?? contents.members.first { $0.name.hasSuffix("script.bin") }
        if let scriptMember {
            plan = try plan.withScript(scriptMember.bytes, name: scriptMember.name,
                                       source: "\(path):\(scriptMember.name)")
        }
        // A crafted package whose images or script partition reach the calibration or NV
        // regions is refused here, so no command ever plans such a write.
        try FlashWriteGuard().check(plan, source: path)
        self.plan = plan

        agentBoot = try AgentBootLookup.find(explicitPath: agentBootPath,
                                             socMember: member(AgentBoot.socMemberName)?.bytes, socPath: path)
        switch agentBoot {
        case .found(let a) where a.knownBuild == nil:
            warnings.append("AgentBoot from \(a.source) (\(a.bytes.count) bytes, sha256 \(a.sha256)) is not a "
                            + "known vendor build; flashing a real board with it may fail")
        case .found(let a) where a.knownBuild?.transport == .uart:
            warnings.append("AgentBoot from \(a.source) is the UART build; USB download mode needs the USB build")
        case .missing(let reason):
            warnings.append(reason)
        default: break
        }
        let skipped = binpkg.entries.filter { $0.kind == nil && !$0.bytes.isEmpty }
        for entry in skipped {
            warnings.append("binpkg entry \"\(entry.name)\" of type \(entry.type) is not flashed (only BL, AP, CP are)")
        }
        let (version, variant) = SocPackageFileName.parse(path)
        fileNameVersion = version
        fileNameVariant = variant
        self.warnings = warnings
    }

    /// Whether a member matters to a flasher. Only these are unpacked; the rest (ELF, map, RF
    /// tables, headers) are listed with their declared size, never read into memory.
    public static func isNeededMember(_ name: String) -> Bool {
        name == "info.json" || name.hasSuffix(".binpkg") || name.hasSuffix("script.bin")
            || name == AgentBoot.socMemberName
    }

    /// The AgentBoot, or the error that says where users have one.
    public func requireAgentBoot() throws -> AgentBoot {
        switch agentBoot {
        case .found(let a): return a
        case .missing(let reason): throw FirmwareError(file: path, reason: reason)
        }
    }
}

/// The vendor naming `LuatOS-SoC_<VER>_EC618[_VARIANT].soc`.
public enum SocPackageFileName {
    /// `LuatOS-SoC_V1112_EC618_FULL.soc` → ("V1112", "FULL").
    public static func parse(_ path: String) -> (String?, String?) {
        let base = (path as NSString).lastPathComponent
        let stem = base.hasSuffix(".soc") ? String(base.dropLast(4)) : base
        let parts = stem.split(separator: "_").map(String.init)
        guard let chipIndex = parts.firstIndex(where: { $0.uppercased() == "EC618" }), chipIndex >= 1 else {
            return (nil, nil)
        }
        let version = parts[chipIndex - 1]
        let variant = parts.count > chipIndex + 1 ? parts[(chipIndex + 1)...].joined(separator: "_") : nil
        return (version.uppercased().hasPrefix("V") ? version : nil, variant)
    }
}
