/// The three integrity checks of the EC618 download protocol (spec §3.3).
public enum Checksums {
    /// CRC-8/MAXIM (Dallas 1-Wire): poly 0x31 reflected (0x8C), init 0, no xorout.
    /// AGBOOT/LPC frames put it over the three low length bytes into the length's top byte.
    public static func crc8Maxim<C: Collection>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
        var crc: UInt8 = 0
        for byte in bytes {
            crc ^= byte
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x8C : crc >> 1 }
        }
        return crc
    }

    /// CRC-32 (IEEE/zlib): the trailer of every AGBOOT/LPC request and response.
    public static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        crc32Update(0xFFFF_FFFF, bytes) ^ 0xFFFF_FFFF
    }

    /// Feeds `bytes` into a running (pre-inverted) CRC-32 register, so a frame head and its
    /// payload can be covered without concatenating them.
    static func crc32Update<C: Collection>(_ register: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc = register
        for byte in bytes { crc = (crc >> 8) ^ crc32Table[Int((crc ^ UInt32(byte)) & 0xFF)] }
        return crc
    }

    private static let crc32Table: [UInt32] = (0..<256).map { index in
        var c = UInt32(index)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        return c
    }

    /// The DLBOOT DOWNLOAD_DATA trailer ("self_def_check1"): the 32-bit sum of every head byte
    /// (plain length) and every payload byte, modulo 2^32.
    public static func additiveSum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var sum: UInt32 = 0
        for byte in bytes { sum &+= UInt32(byte) }
        return sum
    }

    /// The AGBOOT/LPC wire form of a length: low 24 bits, CRC-8/MAXIM of those three bytes on top.
    /// Zero stays all-zero.
    public static func protectedLength(_ length: Int) -> UInt32 {
        precondition(length >= 0 && length < 1 << 24, "frame length \(length) does not fit 24 bits")
        guard length > 0 else { return 0 }
        let low = UInt32(length)
        let crc = crc8Maxim([UInt8(low & 0xFF), UInt8((low >> 8) & 0xFF), UInt8((low >> 16) & 0xFF)])
        return UInt32(crc) << 24 | low
    }
}

/// Little-endian integer helpers shared by the codec.
enum LE {
    static func bytes(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }

    static func bytes(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    static func u32<C: Collection>(_ bytes: C, at offset: Int) -> UInt32 where C.Element == UInt8, C.Index == Int {
        let s = bytes.startIndex + offset
        return UInt32(bytes[s]) | UInt32(bytes[s + 1]) << 8 | UInt32(bytes[s + 2]) << 16 | UInt32(bytes[s + 3]) << 24
    }

    static func u16<C: Collection>(_ bytes: C, at offset: Int) -> UInt16 where C.Element == UInt8, C.Index == Int {
        let s = bytes.startIndex + offset
        return UInt16(bytes[s]) | UInt16(bytes[s + 1]) << 8
    }
}
