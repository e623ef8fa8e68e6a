/// Makes synthetic EC618 `.soc` packages with the real structure (7z archive, V1112 `_FULL`
/// `info.json`, binpkg with BL/AP/CP, a stand-in AgentBoot) and deterministic pseudo-random
/// contents. No vendor bytes anywhere: tests, benchmarks and `provision sim make-soc` use these.
public struct SyntheticSoc: Sendable {
    /// Image sizes to generate.
    public struct ImageSizes: Sendable, Equatable {
        public var bootloader: Int
        public var ap: Int
        public var cp: Int
        /// `luatos.elf` (debug material; only makes the archive realistic in size).
        public var elf: Int

        public init(bootloader: Int, ap: Int, cp: Int, elf: Int) {
            self.bootloader = bootloader
            self.ap = ap
            self.cp = cp
            self.elf = elf
        }

        /// Close to a V1112 `_FULL` release: about a 4 MiB `.soc`.
        public static let realistic = ImageSizes(bootloader: 80 * 1024, ap: 2_600_000, cp: 500 * 1024,
                                                 elf: 1600 * 1024)
        /// Small images for fast tests (still several erase blocks for the AP).
        public static let small = ImageSizes(bootloader: 6 * 1024, ap: 150 * 1024, cp: 40 * 1024, elf: 4 * 1024)
    }

    /// How `download.script_addr` is spelled in `info.json` (all appear in the wild).
    public enum AddressStyle: String, Sendable, CaseIterable {
        /// `2CC000`, what the SDK build writes.
        case bare
        /// `002CC000`, the template's style.
        case zeroPadded
        /// `0x2CC000`.
        case prefixed
    }

    public var sizes: ImageSizes = .small
    public var format: ArchiveFormat = .sevenZip
    /// Write the newer pkgmode binpkg (XIP addresses) instead of the legacy one.
    public var pkgmode: Bool = false
    public var includeAgentBoot: Bool = true
    /// A LuaDB image to embed as `script.bin` (a "mass production" `.soc`).
    public var scriptImage: [UInt8]? = nil
    public var addressStyle: AddressStyle = .bare
    /// Write `rom.fs.script.size` as a string rather than a number.
    public var scriptSizeAsString: Bool = false
    /// Seed of the pseudo-random contents; different seeds give different images.
    public var seed: UInt64 = 0x1112_EC61_8000_0001
    /// Where the CP image lands in the CP flash; moved only to craft a package the write guard
    /// must refuse.
    public var cpOffset: UInt32 = EC618FlashMap.cpImageOffset

    /// `_FULL` build layout (spec luatos-formats.md §1.6.1).
    public static let scriptAddress: UInt32 = 0x2CC000
    public static let scriptSizeKiB = 128
    public static let fotaFullAddress: UInt32 = 0x2EC000
    /// Size of the stand-in AgentBoot (the vendor USB build is 35–45 KiB).
    public static let agentBootSize = 36 * 1024

    public init() {}

    /// The BL, AP and CP images this configuration generates.
    public func coreImages() -> [BinpkgWriter.Image] {
        var rng = Xorshift(seed: seed)
        func image(_ name: String, _ type: String, _ kind: ImageKind, _ size: Int, reserved: UInt32,
                   legacyAddress: UInt32, xipBase: UInt32) -> BinpkgWriter.Image {
            BinpkgWriter.Image(name: name, type: type, address: pkgmode ? xipBase + legacyAddress : legacyAddress,
                               reservedSize: reserved, bytes: Self.firmwareLikeBytes(count: size, rng: &rng))
        }
        return [
            image("ap_bootloader.bin", "BL", .bootloader, sizes.bootloader, reserved: 0x20000,
                  legacyAddress: EC618FlashMap.bootloaderOffset, xipBase: EC618FlashMap.apXIPBase),
            image("luatos.bin", "AP", .ap, sizes.ap,
                  reserved: Self.scriptAddress - EC618FlashMap.apImageOffset,
                  legacyAddress: EC618FlashMap.apImageOffset, xipBase: EC618FlashMap.apXIPBase),
            image("cp-demo-flash.bin", "CP", .cp, sizes.cp, reserved: 0x80000,
                  legacyAddress: cpOffset, xipBase: EC618FlashMap.cpXIPBase),
        ]
    }

    /// The stand-in AgentBoot: deterministic bytes behind a plain-text banner. Never executed by
    /// anything (the simulated ROM only checks its header hash); a real board needs the real one.
    public static func agentBootBytes() -> [UInt8] {
        var bytes = Array("PROVISION SYNTHETIC AGENTBOOT - a test stand-in, not ARM code.\n".utf8)
        var rng = Xorshift(seed: 0xA6B0_07A6_B007)
        bytes += firmwareLikeBytes(count: agentBootSize - bytes.count, rng: &rng)
        return bytes
    }

    /// The `info.json` text (V1112 `_FULL` fields).
    public func infoJSON() -> String {
        let address: String
        switch addressStyle {
        case .bare: address = String(Self.scriptAddress, radix: 16, uppercase: true)
        case .zeroPadded: address = "00" + String(Self.scriptAddress, radix: 16, uppercase: true)
        case .prefixed: address = "0x" + String(Self.scriptAddress, radix: 16, uppercase: true)
        }
        let size = scriptSizeAsString ? "\"\(Self.scriptSizeKiB)\"" : "\(Self.scriptSizeKiB)"
        let fota = String(Self.fotaFullAddress, radix: 16, uppercase: true)
        return """
        {
          "version": 1,
          "chip": { "type": "ec618", "ram": { "total": 384, "sys": 256, "lua": 128 } },
          "rom": {
            "file": "luatos.binpkg",
            "fs": { "script": { "offset": "0", "size": \(size), "type": "luadb" } },
            "version-core": "v0001",
            "version-bsp": "v0001",
            "mark": "default",
            "build": { "build_at": "", "build_by": "", "build_host": "", "build_system": "" }
          },
          "script": { "file": "script.bin", "lua": "5.3", "bitw": 32, "use-luac": true, "use-debug": true },
          "fs": { "total_len": 288, "format_len": "1000" },
          "user": { "project": "", "version": "", "log_br": "921600" },
          "download": {
            "bl_addr": "00004000", "partition_addr": "00008000", "core_addr": "00024000",
            "app_addr": "00000000", "script_addr": "\(address)", "nvm_addr": "00000000",
            "fs_addr": "003B0000", "force_br": "1152000", "extra_param": "002f0200"
          },
          "fota": {
            "magic_num": "eaf18c16", "block_len": "40000", "core_type": "diff",
            "ap_type": "diff", "cp_type": "diff", "full_addr": "\(fota)"
          }
        }

        """
    }

    /// All archive members, in the order the vendor packer lists them.
    public func members(binpkg: [UInt8]? = nil, infoJSON: String? = nil) -> [ArchiveMember] {
        var rng = Xorshift(seed: seed ^ 0xE1F)
        var elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x01, 0x01, 0x01, 0x00]
        elf += Self.firmwareLikeBytes(count: max(0, sizes.elf - elf.count), rng: &rng)
        var members: [ArchiveMember] = [
            ArchiveMember(name: "info.json", bytes: Array((infoJSON ?? self.infoJSON()).utf8)),
            ArchiveMember(name: "luatos.binpkg", bytes: binpkg ?? BinpkgWriter.write(coreImages(), pkgmode: pkgmode)),
            ArchiveMember(name: "luatos.elf", bytes: elf),
            ArchiveMember(name: "luatos.map", bytes: Array("Synthetic map file: no symbols.\n".utf8)),
            ArchiveMember(name: "comdb.txt", bytes: Array(
                "DbVersion\n1\n<end>\nBuildInfo\nsynthetic\n<end>\nEnumVals\n<end>\n".utf8)),
            ArchiveMember(name: "mem_map.h", bytes: Array("/* synthetic */\n".utf8)),
            ArchiveMember(name: "luat_conf_bsp.h", bytes: Array("#define LUAT_BSP_VERSION \"V1112\"\n".utf8)),
            ArchiveMember(name: "MergeRfTable_ec618.bin", bytes: [UInt8](repeating: 0, count: 4096)),
            ArchiveMember(name: "config_ec618_usb.ini", bytes: Array(
                "[package_info]\narg_pkg_path_val = .\\luatos.binpkg\n[agentboot]\nagpath = .\\agentboot_usb.bin\n".utf8)),
            ArchiveMember(name: "format_ec618.json", bytes: Array("{}\n".utf8)),
            ArchiveMember(name: "logging.conf", bytes: Array("[loggers]\nkeys=root\n".utf8)),
            ArchiveMember(name: "logging_output.log", bytes: []),
        ]
        if includeAgentBoot {
            members.append(ArchiveMember(name: AgentBoot.socMemberName, bytes: Self.agentBootBytes()))
        }
        if let scriptImage {
            members.append(ArchiveMember(name: "script.bin", bytes: scriptImage))
        }
        return members
    }

    /// The `.soc` bytes.
    public func make() throws -> [UInt8] {
        try ArchiveWriter.write(members(), format: format)
    }

    /// Bytes with the statistics of firmware: mostly high-entropy code, with runs of padding and
    /// repeated tables, so the archive compresses a little, as real ones do.
    static func firmwareLikeBytes(count: Int, rng: inout Xorshift) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            let r = rng.next()
            let run = min(64, count - i)
            if r & 0x7 == 0 {
                let fill: UInt8 = (r >> 8) & 0x01 == 0 ? 0xFF : 0x00
                for k in 0..<run { out[i + k] = fill }
            } else {
                var word = r
                for k in 0..<run {
                    if k % 8 == 0 && k > 0 { word = rng.next() }
                    out[i + k] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(k % 8)))
                }
            }
            i += run
        }
        return out
    }
}

/// xorshift64*: small, fast, deterministic; good enough for fixture bytes.
struct Xorshift {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
