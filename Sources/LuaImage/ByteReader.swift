/// A little-endian cursor over bytes that throws `LuaImageError` on truncation, naming `file`.
struct ByteReader {
    let bytes: [UInt8]
    let file: String
    /// What is being read, for messages ("precompiled chunk", "LuaDB image").
    let what: String
    private(set) var offset = 0

    init(_ bytes: [UInt8], file: String, what: String) {
        self.bytes = bytes
        self.file = file
        self.what = what
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    func failure(_ reason: String) -> LuaImageError {
        LuaImageError(file: file, reason: "\(what): \(reason)")
    }

    mutating func need(_ n: Int, for field: String) throws {
        guard n >= 0, n <= remaining else {
            throw failure("truncated: \(field) needs \(n) bytes at offset \(offset), \(remaining) left")
        }
    }

    mutating func u8(_ field: String) throws -> UInt8 {
        try need(1, for: field)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// An unsigned little-endian integer of `width` bytes (1...8).
    mutating func unsigned(width: Int, _ field: String) throws -> UInt64 {
        try need(width, for: field)
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += width
        return value
    }

    /// A two's complement little-endian integer of `width` bytes, sign-extended.
    mutating func signed(width: Int, _ field: String) throws -> Int64 {
        let raw = try unsigned(width: width, field)
        guard width < 8 else { return Int64(bitPattern: raw) }
        let shift = UInt64(64 - 8 * width)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }

    mutating func take(_ n: Int, _ field: String) throws -> [UInt8] {
        try need(n, for: field)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }
}

/// Appends little-endian integers to a byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func unsigned(_ v: UInt64, width: Int) {
        for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    mutating func signed(_ v: Int64, width: Int) { unsigned(UInt64(bitPattern: v), width: width) }

    mutating func append<S: Sequence>(_ s: S) where S.Element == UInt8 { bytes.append(contentsOf: s) }
}
