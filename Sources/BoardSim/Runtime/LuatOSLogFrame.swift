import Vocabulary

/// Encodes log records the way the EC618 LuatOS firmware sends them on the SoC-log port
/// (spec §5.4): `7E <escaped payload> 7E`, payload = u64 ms since boot, tag `LTOS`, the format
/// `%.*s` padded to 4, then the text as one length-prefixed argument.
public enum LuatOSLogFrame {
    /// Tag `LTOS`: four 7-bit ASCII characters, character i in bits 7i…7i+6.
    public static let ltosTag: UInt32 = 0x0A73_EA4C

    public static func encode(text: [UInt8], milliseconds: UInt64, escaping: LogEscaping = .airm2m) -> [UInt8] {
        var payload: [UInt8] = []
        payload.reserveCapacity(24 + text.count)
        for i in 0..<8 { payload.append(UInt8(truncatingIfNeeded: milliseconds >> (8 * UInt64(i)))) }
        for i in 0..<4 { payload.append(UInt8(truncatingIfNeeded: ltosTag >> (8 * UInt32(i)))) }
        payload += Array("%.*s".utf8) + [0, 0, 0, 0]
        let n = UInt32(text.count)
        for i in 0..<4 { payload.append(UInt8(truncatingIfNeeded: n >> (8 * UInt32(i)))) }
        payload += text
        var frame: [UInt8] = [LogEscaping.flag]
        for byte in payload { frame += escaping.escaped(byte) }
        frame.append(LogEscaping.flag)
        return frame
    }
}
