import Firmware
import Foundation
import Testing

/// An archive is outside input: a member's declared size is a claim, and members the plan does
/// not need must cost nothing.
@Suite struct ArchiveLimitTests {
    /// A zip64 header claiming 2^62 bytes used to be reserved up front (exit 134 on a small file).
    @Test func aNeededMemberClaimingAHugeSizeIsRefusedNamingIt() throws {
        let zip = HandWrittenZip.make([.init(name: "info.json", data: Array("{}".utf8), claimedSize: 1 << 62)])
        let e = try #require(throws: FirmwareError.self) { try SocPackage(bytes: zip, path: "huge.soc") }
        #expect(e.file == "huge.soc:info.json")
        #expect(e.reason.contains("claims 4611686018427387904 bytes"), "\(e.reason)")
        #expect(e.reason.contains("16 MiB limit"))
    }

    @Test func anUnneededMemberClaimingAHugeSizeIsListedNotRead() throws {
        let zip = HandWrittenZip.make([
            .init(name: "luatos.elf", data: Array("ELF".utf8), claimedSize: 1 << 62),
            .init(name: "info.json", data: Array("{}".utf8)),
        ])
        let contents = try ArchiveReader.read(zip, file: "x.soc", want: SocPackage.isNeededMember)
        #expect(contents.members.map(\.name) == ["info.json"])
        #expect(contents.listing.first?.size == 1 << 62)
        #expect(contents.unpackedBytes == 2)
    }

    /// A member that really unpacks past the limit is refused once it passes it, whatever its
    /// header said.
    @Test func aNeededMemberThatUnpacksPastTheLimitIsRefused() throws {
        let big = [UInt8](repeating: 0, count: ArchiveReader.memberSizeLimit + 1)
        let archive = try Fixtures.archive(Fixtures.members(replacing: "luatos.binpkg", with: big))
        let e = try #require(throws: FirmwareError.self) { try SocPackage(bytes: archive, path: "big.soc") }
        #expect(e.file == "big.soc:luatos.binpkg")
        #expect(e.reason.contains("16 MiB limit"), "\(e.reason)")
    }

    /// A zip bomb in a member the plan does not use (here 24 MiB of zeros as `luatos.elf`) is
    /// skipped: the bytes unpacked are those of the needed members only, and the package opens.
    @Test(arguments: [ArchiveFormat.sevenZip, .zip])
    func anUnneededBombIsNotUnpacked(format: ArchiveFormat) throws {
        let bomb = [UInt8](repeating: 0, count: 24 * 1024 * 1024)
        let members = Fixtures.members(replacing: "luatos.elf", with: bomb)
        let archive = try Fixtures.archive(members, format: format)
        #expect(archive.count < 2 * 1024 * 1024)
        let contents = try ArchiveReader.read(archive, file: "bomb.soc", want: SocPackage.isNeededMember)
        let needed = members.filter { SocPackage.isNeededMember($0.name) }.reduce(0) { $0 + $1.bytes.count }
        #expect(contents.unpackedBytes == needed)
        #expect(contents.listing.first { $0.name == "luatos.elf" }?.size == bomb.count)
        let soc = try SocPackage(bytes: archive, path: "bomb.soc")
        #expect(soc.plan.images.map(\.kind) == [.bootloader, .ap, .cp])
    }
}

/// Writes a zip by hand so that a member's header can claim a size its data does not have, as a
/// crafted file would (libarchive's own writer never lies). Honest members are stored; a lying
/// member is deflated (one stored deflate block) with a zip64 extra field giving the claimed
/// uncompressed size in both the local and the central header.
enum HandWrittenZip {
    struct Member {
        let name: String
        let data: [UInt8]
        var claimedSize: UInt64?
    }

    static func make(_ members: [Member]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for m in members {
            let offset = UInt32(out.count)
            let name = Array(m.name.utf8)
            var payload = m.data
            var method: UInt16 = 0
            var extra: [UInt8] = []
            var sizes: (UInt32, UInt32) = (UInt32(m.data.count), UInt32(m.data.count))
            if let claimed = m.claimedSize {
                // Raw deflate, one final stored block: 01, LEN, ~LEN, bytes.
                let n = UInt16(m.data.count)
                payload = [0x01] + le16(n) + le16(~n) + m.data
                method = 8
                sizes = (0xFFFF_FFFF, 0xFFFF_FFFF)
                extra = le16(0x0001) + le16(16) + le64(claimed) + le64(UInt64(payload.count))
            }
            let crc = m.claimedSize == nil ? crc32(m.data) : 0
            out += le32(0x0403_4B50) + le16(45) + le16(0) + le16(method) + le16(0) + le16(0x21) + le32(crc)
                + le32(sizes.1) + le32(sizes.0) + le16(UInt16(name.count)) + le16(UInt16(extra.count))
                + name + extra + payload
            central += le32(0x0201_4B50) + le16(45) + le16(45) + le16(0) + le16(method) + le16(0) + le16(0x21)
                + le32(crc) + le32(sizes.1) + le32(sizes.0) + le16(UInt16(name.count)) + le16(UInt16(extra.count))
                + le16(0) + le16(0) + le16(0) + le32(0o100644 << 16) + le32(offset) + name + extra
        }
        let centralOffset = UInt32(out.count)
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(members.count)) + le16(UInt16(members.count))
            + le32(UInt32(central.count)) + le32(centralOffset) + le16(0)
        return out
    }

    private static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> ($0 * 8)) & 0xFF) } }
    private static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> ($0 * 8)) & 0xFF) } }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
