/// Writes binpkg files in either generation, for synthetic fixtures and tests.
public enum BinpkgWriter {
    /// One image to put in a package.
    public struct Image: Sendable {
        public var name: String
        public var type: String
        public var address: UInt32
        public var reservedSize: UInt32
        public var bytes: [UInt8]
        /// Hash to declare; nil = the real SHA-256 of `bytes` (tests pass a wrong one on purpose).
        public var declaredSHA256: String?

        public init(name: String, type: String, address: UInt32, reservedSize: UInt32, bytes: [UInt8],
                    declaredSHA256: String? = nil) {
            self.name = name
            self.type = type
            self.address = address
            self.reservedSize = reservedSize
            self.bytes = bytes
            self.declaredSHA256 = declaredSHA256
        }
    }

    /// Size of one pkgmode variant record.
    static let variantRecordSize = 140

    /// The package bytes. `pkgmode` adds the three variant records of new-style packages.
    public static func write(_ images: [Image], pkgmode: Bool = false, productName: String = "EC618_4M") -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Binpkg.headerSize)
        out.put(Array("V1.0".utf8), at: 0)
        out.putU32(0x2018_0507, at: 12)
        out.putU32(UInt32(images.count), at: 16)
        if pkgmode {
            out.putU16(3, at: 28)
            out.putU16(UInt16(3 * variantRecordSize), at: 30)
            var records = [UInt8](repeating: 0, count: 3 * variantRecordSize)
            records.putU16(1, at: 0)                                   // numeric: pkgmode = 1
            records.put(Binpkg.pkgmodeMarker, at: 4)
            records.putU32(1, at: 4 + 64)
            records.putU16(1, at: variantRecordSize)                   // numeric: banoldtool
            records.put(Array("banoldtool".utf8), at: variantRecordSize + 4)
            records.putU16(2, at: 2 * variantRecordSize)               // string: productname
            records.put(Array("productname".utf8), at: 2 * variantRecordSize + 4)
            records.put(Array(productName.utf8.prefix(63)), at: 2 * variantRecordSize + 4 + 64)
            out += records
        }
        for image in images {
            var entry = [UInt8](repeating: 0, count: Binpkg.entrySize)
            entry.put(Array(image.name.utf8.prefix(63)), at: 0)
            entry.putU32(image.address, at: 64)
            entry.putU32(image.reservedSize, at: 68)
            entry.putU32(UInt32(image.bytes.count), at: 76)
            entry.put(Array((image.declaredSHA256 ?? SHA256Hex.of(image.bytes)).utf8.prefix(255)), at: 80)
            entry.put(Array(image.type.utf8.prefix(15)), at: 336)
            out += entry
            out += image.bytes
        }
        return out
    }
}

extension Array where Element == UInt8 {
    mutating func put(_ bytes: [UInt8], at i: Int) {
        replaceSubrange(i..<i + bytes.count, with: bytes)
    }
    mutating func putU16(_ v: UInt16, at i: Int) {
        self[i] = UInt8(v & 0xFF); self[i + 1] = UInt8(v >> 8)
    }
    mutating func putU32(_ v: UInt32, at i: Int) {
        for k in 0..<4 { self[i + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
    }
}
