/// How `7E`/`7D` inside a LuatOS log frame on the x.2 port are escaped: an open question of the
/// spec (luatos-formats §6 item 1), so a profile setting (`[station] log_escaping`). The one
/// definition the simulated board's encoder, the station's decoder and the profile share.
public enum LogEscaping: String, Sendable, CaseIterable, Codable {
    /// AirM2M constants: `7E ↔ 7D 02`, `7D ↔ 7D 01`. The decoder also takes HDLC's `7D 5E` /
    /// `7D 5D`, which cannot collide with these.
    case airm2m
    /// The two EC618 decoders' reading: `7D 01 → 7D`, `7D 02 → 7F`. The firmware's bytes are
    /// AirM2M's; only the reading differs.
    case ectool
    /// HDLC style: `7D x → x ^ 0x20` (`7E ↔ 7D 5E`, `7D ↔ 7D 5D`).
    case hdlc

    /// The frame delimiter and the escape byte.
    public static let flag: UInt8 = 0x7E
    public static let escape: UInt8 = 0x7D

    /// The bytes a sender puts in a frame for `byte`.
    public func escaped(_ byte: UInt8) -> [UInt8] {
        guard byte == Self.flag || byte == Self.escape else { return [byte] }
        switch self {
        case .airm2m, .ectool: return [Self.escape, byte == Self.flag ? 0x02 : 0x01]
        case .hdlc: return [Self.escape, byte ^ 0x20]
        }
    }

    /// What a reader makes of `7D code`: the byte(s) it stands for (the pair itself when this
    /// reading does not know the code).
    public func unescaped(_ code: UInt8) -> [UInt8] {
        switch (self, code) {
        case (.airm2m, 0x01), (.airm2m, 0x5D), (.ectool, 0x01): return [Self.escape]
        case (.airm2m, 0x02), (.airm2m, 0x5E): return [Self.flag]
        case (.ectool, 0x02): return [0x7F]
        case (.hdlc, _): return [code ^ 0x20]
        default: return [Self.escape, code]
        }
    }
}
