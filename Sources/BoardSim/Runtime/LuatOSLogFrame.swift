/// Encodes log records the way the EC618 LuatOS firmware sends them on the SoC-log port
/// (spec §5.4): `7E <escaped payload> 7E`, payload = u64 ms since boot, tag `LTOS`, the format
/// `%.*s` padded to 4, then the text as one length-prefixed argument.
public enum LuatOSLogFrame {
    /// How `7E`/`7D` inside a payload are escaped — an open question in the spec (§6 item 1).
    public enum Escaping: String, Sendable, CaseIterable {
        /// AirM2M constants: `7E → 7D 02`, `7D → 7D 01`.
        case airm2m
        /// HDLC style: `7E → 7D 5E`, `7D → 7D 5D`.
        case hdlc
    }

    /// Tag `LTOS`: four 7-bit ASCII characters, character i in bits 7i…7i+6.
    public static let ltosTag: UInt32 = 0x0A73_EA4C

    public static func encode(text: [UInt8], milliseconds: UInt64, escaping: Escaping = .airm2m) -> [UInt8] {
        var payload: [UInt8] = []
        payload.reserveCapacity(24 + text.count)
        for i in 0..<8 { payload.append(UInt8(truncatingIfNeeded: milliseconds >> (8 * UInt64(i)))) }
        for i in 0..<4 { payload.append(UInt8(truncatingIfNeeded: ltosTag >> (8 * UInt32(i)))) }
        payload += Array("%.*s".utf8) + [0, 0, 0, 0]
        let n = UInt32(text.count)
        for i in 0..<4 { payload.append(UInt8(truncatingIfNeeded: n >> (8 * UInt32(i)))) }
        payload += text
        var frame: [UInt8] = [0x7E]
        for byte in payload {
            switch (byte, escaping) {
            case (0x7E, .airm2m): frame += [0x7D, 0x02]
            case (0x7D, .airm2m): frame += [0x7D, 0x01]
            case (0x7E, .hdlc): frame += [0x7D, 0x5E]
            case (0x7D, .hdlc): frame += [0x7D, 0x5D]
            default: frame.append(byte)
            }
        }
        frame.append(0x7E)
        return frame
    }
}
