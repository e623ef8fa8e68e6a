import EC618
import Testing

/// Spec §3.3 "Checksum algorithms" and "Test vectors".
@Suite("Checksums and the protected length")
struct ChecksumTests {
    @Test func crc8MaximCheckValues() {
        #expect(Checksums.crc8Maxim(Array("123456789".utf8)) == 0xA1)
        #expect(Checksums.crc8Maxim([1, 2, 3, 4]) == 0xF4)
    }

    @Test func crc32CheckValues() {
        #expect(Checksums.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Checksums.crc32([1, 2, 3, 4]) == 0xB63C_FBCD)
    }

    @Test func additiveSum() {
        #expect(Checksums.additiveSum([1, 2, 3, 4]) == 0x0A)
        // Full 32-bit sum, not 16 bits (the luatos-cli markdown is wrong, §3.3).
        #expect(Checksums.additiveSum([UInt8](repeating: 0xFF, count: 300)) == 300 * 255)
    }

    @Test("length → wire length", arguments: [
        (4, "04 00 00 9E"), (6, "06 00 00 D1"), (8, "08 00 00 25"), (272, "10 01 00 8E"),
        (0x400, "00 04 00 3B"), (0x4000, "00 40 00 9B"), (0x10000, "00 00 01 5E"),
        (4350, "FE 10 00 95"), (13068, "0C 33 00 C3"), (0, "00 00 00 00"),
    ])
    func protectedLength(length: Int, wire: String) {
        let value = Checksums.protectedLength(length)
        let bytes = [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
        #expect(bytes == hex(wire))
    }
}
