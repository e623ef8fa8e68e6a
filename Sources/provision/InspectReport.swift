import Firmware
import Foundation
import LuaImage

/// What `provision inspect` shows, as a stable JSON document (`--json`) and a human table.
struct InspectReport: Codable {
    struct Versions: Codable {
        let bsp: String?
        let variant: String?
        let core: String?
        let bspField: String?

        // Absent values are written as null so the document's keys never change.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(bsp, forKey: .bsp)
            try c.encode(variant, forKey: .variant)
            try c.encode(core, forKey: .core)
            try c.encode(bspField, forKey: .bspField)
        }
    }
    struct ScriptSettings: Codable {
        let luaVersion: String
        let bitWidth: Int
        let useLuac: Bool
        let useDebug: Bool
    }
    struct Partition: Codable {
        let name: String
        let storage: String
        let address: String
        let size: Int?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(storage, forKey: .storage)
            try c.encode(address, forKey: .address)
            try c.encode(size, forKey: .size)
        }
    }
    struct Image: Codable {
        let kind: String
        let name: String
        let storage: String
        let address: String
        let packageAddress: String
        let size: Int
        let sha256: String
    }
    struct AgentBootInfo: Codable {
        let found: Bool
        let source: String?
        let size: Int?
        let sha256: String?
        let knownBuild: String?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(found, forKey: .found)
            try c.encode(source, forKey: .source)
            try c.encode(size, forKey: .size)
            try c.encode(sha256, forKey: .sha256)
            try c.encode(knownBuild, forKey: .knownBuild)
        }
    }
    struct Member: Codable {
        let name: String
        let size: Int
    }

    let file: String
    let format: String
    let chip: String
    let versions: Versions
    let script: ScriptSettings
    let partitions: [Partition]
    let images: [Image]
    let totalImageBytes: Int
    let agentBoot: AgentBootInfo
    /// The files of the package's own script image (`script.bin`), when it carries one.
    let scriptFiles: [Member]?
    let members: [Member]
    let warnings: [String]

    init(_ soc: SocPackage) {
        file = soc.path
        format = soc.format.rawValue
        chip = soc.info.chipType
        versions = Versions(bsp: soc.fileNameVersion, variant: soc.fileNameVariant,
                            core: soc.info.versionCore, bspField: soc.info.versionBSP)
        script = ScriptSettings(luaVersion: soc.info.script.luaVersion, bitWidth: soc.info.script.bitWidth,
                                useLuac: soc.info.script.useLuac, useDebug: soc.info.script.useDebug)
        var partitions = [Partition(name: "script", storage: FlashStorage.apFlash.rawValue,
                                    address: hex(soc.info.scriptPartition.flashOffset),
                                    size: soc.info.scriptPartition.capacity)]
        if let fota = soc.info.fotaFullAddress {
            let size = fota < EC618FlashMap.fotaRegionStart ? Int(EC618FlashMap.fotaRegionStart - fota) : nil
            partitions.append(Partition(name: "script_ota", storage: FlashStorage.apFlash.rawValue,
                                        address: hex(fota), size: size))
        }
        if let fs = soc.info.fileSystemAddress {
            partitions.append(Partition(name: "fs", storage: FlashStorage.apFlash.rawValue, address: hex(fs),
                                        size: soc.info.fileSystemSize))
        }
        self.partitions = partitions
        images = soc.plan.images.map {
            Image(kind: $0.kind.rawValue, name: $0.name, storage: $0.storage.rawValue, address: hex($0.flashOffset),
                  packageAddress: hex($0.packageAddress), size: $0.size, sha256: $0.sha256)
        }
        totalImageBytes = soc.plan.totalBytes
        switch soc.agentBoot {
        case .found(let a):
            agentBoot = AgentBootInfo(found: true, source: a.source, size: a.bytes.count, sha256: a.sha256,
                                      knownBuild: a.knownBuild?.label)
        case .missing:
            agentBoot = AgentBootInfo(found: false, source: nil, size: nil, sha256: nil, knownBuild: nil)
        }
        members = soc.members.map { Member(name: $0.name, size: $0.size) }
        var warnings = soc.warnings
        let script = packageScript(soc)
        scriptFiles = script.files?.map { Member(name: $0.name, size: $0.bytes.count) }
        if let warning = script.warning { warnings.append(warning) }
        self.warnings = warnings
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func text() -> String {
        var lines: [String] = []
        lines.append("\(file)  (\(format) archive, \(members.count) members)")
        let version = [versions.bsp, versions.variant].compactMap { $0 }.joined(separator: " ")
        lines.append("chip      \(chip)" + (version.isEmpty ? "" : "   firmware \(version)")
                     + "   core \(versions.core ?? "-")  bsp \(versions.bspField ?? "-")")
        lines.append("scripts   Lua \(script.luaVersion), \(script.bitWidth)-bit, "
                     + (script.useLuac ? "bytecode" : "sources") + (script.useDebug ? " with debug info" : ", stripped"))
        lines.append("")
        lines.append(row(["PARTITION", "STORAGE", "ADDRESS", "SIZE"], widths: [12, 9, 10, 12]))
        for p in partitions {
            lines.append(row([p.name, p.storage, p.address, p.size.map(kib) ?? "-"], widths: [12, 9, 10, 12]))
        }
        lines.append("")
        let widths = [6, 22, 9, 10, 12, 64]
        lines.append(row(["IMAGE", "NAME", "STORAGE", "ADDRESS", "SIZE", "SHA-256"], widths: widths))
        for i in images {
            lines.append(row([i.kind, i.name, i.storage, i.address, String(i.size), i.sha256], widths: widths))
        }
        lines.append(row(["", "total", "", "", String(totalImageBytes), ""], widths: widths))
        lines.append("")
        if let scriptFiles {
            lines.append("script.bin holds \(scriptFiles.count) files: "
                         + scriptFiles.map { "\($0.name) (\($0.size) B)" }.joined(separator: ", "))
            lines.append("")
        }
        if agentBoot.found {
            lines.append("agentboot \(agentBoot.source ?? "") (\(agentBoot.size ?? 0) bytes) "
                         + (agentBoot.knownBuild.map { "known build: \($0)" } ?? "unknown build"))
            lines.append("          sha256 \(agentBoot.sha256 ?? "")")
        } else {
            lines.append("agentboot not found")
        }
        for w in warnings { lines.append("warning: \(w)") }
        return lines.joined(separator: "\n")
    }
}

/// The files of the package's own script image (`script.bin`), or the warning that it is not a
/// readable LuaDB. `inspect` and `flash --dry-run` both show it, so they agree on what a broken
/// script image is.
func packageScript(_ soc: SocPackage) -> (files: [LuaDBFile]?, warning: String?) {
    guard let script = soc.plan.script else { return (nil, nil) }
    do {
        return (try LuaDBReader.read(script.bytes, file: "\(soc.path):\(script.name)"), nil)
    } catch {
        return (nil, "the package's script image is not a readable LuaDB: \(error)")
    }
}

private func hex(_ v: UInt32) -> String { String(format: "0x%06X", v) }
private func kib(_ bytes: Int) -> String {
    bytes % 1024 == 0 ? "\(bytes / 1024) KiB" : "\(bytes) B"
}
private func row(_ cells: [String], widths: [Int]) -> String {
    zip(cells, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }
        .joined(separator: " ").trimmingCharacters(in: .whitespaces)
}
