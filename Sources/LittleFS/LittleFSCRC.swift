/// littlefs' CRC-32: polynomial 0x04C11DB7 bit-reflected (0xEDB88320), seeded with 0xFFFFFFFF
/// and, unlike zlib's, with no final inversion — a running value continued across calls.
enum LittleFSCRC {
    static let seed: UInt32 = 0xFFFF_FFFF

    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func update<C: Collection>(_ crc: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c = crc
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c
    }
}
