import EC618
import Firmware
import Testing

/// Spec §4.3–§4.5 and the header bytes printed in the §6.8 transcript.
@Suite("The 272-byte image header")
struct ImageHeaderTests {
    /// 32 bytes `00 01 … 0F 00 01 … 0F` (§4.5).
    static let standInAgentBoot: [UInt8] = Array(0..<16) + Array(0..<16)

    static let agentBootHeaderHex = """
        01000010484d4954070518200000000001000000ee0000a40100000000000000
        8338537a6d025dc7b3186c253f83dbf72093022fab30e2462a23f0be3aacf2ef
        494d424f00000000000001042000000000000000000000000000000000000000
        80a3e0f93d067cc3a7b99b0692dec4aa6077e8a3bc2ea173c602974e09d68474
        """
    static let apHeaderHex = """
        01000010484d4954070518200000000001000000ee0000000000000000000000
        b5d98e1a6c9016345042050eb5f6706a5ccbe4b77179d7e352417be334491f4e
        49424b4400400200000001040400000000000000000000000000000000000000
        9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a
        """

    @Test func agentBootStyleHeader() {
        let header = ImageHeader.agentBoot(Self.standInAgentBoot, baud: 921_600).encode()
        #expect(header == hex(Self.agentBootHeaderHex) + [UInt8](repeating: 0, count: 144))
        #expect(SHA256Hex.hex(header[32..<64]) == "8338537a6d025dc7b3186c253f83dbf72093022fab30e2462a23f0be3aacf2ef")
        // The DLBOOT DOWNLOAD_DATA trailer of this header (§4.5).
        let frame = RequestFrame(.downloadData, payload: header).encode(.plain)
        #expect(Array(frame.suffix(4)) == hex("9E 25 00 00"))
    }

    @Test func apHeader() {
        let header = ImageHeader(bodyID: .aimg, burnAddress: 0x24000, image: [1, 2, 3, 4]).encode()
        #expect(header == hex(Self.apHeaderHex) + [UInt8](repeating: 0, count: 144))
        let frame = RequestFrame(.downloadData, payload: header).encode(.protected)
        #expect(Array(frame.prefix(8)) == hex("32 00 CD 32 10 01 00 8E"))
        #expect(Array(frame.suffix(4)) == hex("0B 90 DF 8F"))
    }

    @Test("baud control field", arguments: [
        (921_600, UInt16(0xA400)), (115_200, 0x8480), (1_152_000, 0xAD00), (2_000_000, 0xCE20), (3_000_000, 0xF530), (0, 0),
    ])
    func baudControl(baud: Int, field: UInt16) {
        #expect(ImageHeader.baudControlField(baud: baud) == field)
    }

    @Test func decodeRoundTripAndStrictness() throws {
        let header = ImageHeader(bodyID: .cimg, burnAddress: 0, image: [9, 9, 9])
        let bytes = header.encode()
        let decoded = try ImageHeader.decode(bytes)
        #expect(decoded == header)
        #expect(decoded.matches(body: [9, 9, 9]))
        #expect(!decoded.matches(body: [9, 9, 8]))
        var tampered = bytes
        tampered[68] = 1   // burn address changed, header hash not updated
        #expect(throws: HeaderError.headerHashMismatch) { try ImageHeader.decode(tampered) }
        #expect(throws: HeaderError.wrongSize(271)) { try ImageHeader.decode(Array(bytes.prefix(271))) }
    }
}
