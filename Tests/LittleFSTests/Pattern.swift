/// Deterministic test bytes (no randomness: a failure reproduces).
func pattern(_ count: Int, seed: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed &* 17 &+ ($0 >> 8)) % 251) }
}
